"""The vocabularies of the generated history (bench/history_data.py) and the query words the
load benchmark (bench/history_load.py) samples from them.

Every language has a list of words in rank order; a message draws its words with a
Zipf-like weight 1 / rank**ZIPF_S, so the first words are in a large share of the messages
and the tail words in very few. ``query_words`` picks words at fixed ranks and says which
share of the messages of that language is expected to contain each.
"""

from __future__ import annotations

import itertools
import random
from functools import cache

ZIPF_S = 1.05
TAIL_SIZE = {"en": 20000, "zh": 12000, "ja": 2000, "th": 2000}

# English, most frequent first: function words, then the words of a support chat.
EN_COMMON = """
i the to you my a and is it for of in have this can we your please me order on not with
be that thanks do what will but hi hello just how are so if at account there was get help
need no yes from when would know like could an one check time now still about any here
payment refund delivery shipping package received problem email number update card item
price return service support issue new product want sorry today waiting days again thank
working app website login password change cancel subscription invoice address phone store
information please send ok sure let see back week tomorrow message reply customer team
online code discount size color box tracking arrived damaged wrong missing late fast
""".split()
EN_CONTENT = """
charge charged bank transfer balance credit wallet voucher coupon promotion offer plan
upgrade downgrade renewal trial premium basic monthly yearly fee tax receipt statement
courier warehouse pickup dispatch shipment parcel express standard international customs
exchange replacement warranty repair broken faulty screen battery charger cable headphones
laptop tablet camera printer router modem installation setup settings notification
verification verify otp sms link reset locked blocked suspended closed reopen profile
username nickname birthday membership points loyalty reward tier gold silver platinum
reservation booking table appointment schedule reschedule cancelled confirmed pending
available stock restock preorder backorder catalogue menu allergy ingredients vegetarian
gluten organic fresh frozen expired quality complaint feedback review rating manager
supervisor escalate urgent priority weekend holiday opening hours branch location map
parking elevator wheelchair accessibility insurance policy claim coverage premium deductible
mortgage loan interest instalment overdue penalty contract agreement signature document
upload attachment photo screenshot video pdf spreadsheet download export import sync backup
""".split()
_EN_SYLLABLES = (
    "ka lo ri ven tor mar sel dun pra chi vel ost ban tri mo leb quin sar fen gol hap "
    "ter wix zan bre cor dal emp fy gra hol ix jun kel lum nor pel rax sul tev ub vor"
).split()

# Chinese: common words of a support chat, then generated two- and three-character words.
ZH_COMMON = """
我 你 的 了 是 在 吗 好 请 订单 没有 可以 谢谢 您好 一下 这个 什么 已经 退款 客服 问题 怎么
还 不 就 要 会 帮 查 收到 快递 发货 物流 时间 现在 今天 明天 地址 电话 手机 账号 密码 登录 付款
支付 微信 支付宝 银行卡 优惠券 折扣 价格 商品 质量 颜色 尺码 换货 退货 售后 保修 维修 安装 会员
积分 活动 通知 短信 验证码 取消 修改 确认 等待 处理 联系 回复 满意 投诉 经理 门店 营业 预约 发票
""".split()
ZH_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面"
    "而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把"
    "性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质"
    "气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活"
)
JA_COMMON = """
です ます お願い します ありがとう ございます 注文 配送 返金 確認 問題 アカウント パスワード
ログイン 支払い 商品 届く 遅い 交換 キャンセル 予約 変更 住所 電話 メール 届きません 申し訳
""".split()
JA_KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"
TH_COMMON = """
สวัสดี ครับ ค่ะ ขอบคุณ คำสั่งซื้อ สินค้า จัดส่ง คืนเงิน ปัญหา บัญชี รหัสผ่าน เข้าสู่ระบบ ชำระเงิน
ยกเลิก เปลี่ยน ที่อยู่ โทรศัพท์ อีเมล รอ วันนี้ พรุ่งนี้ ได้รับ ยัง ไม่ ช่วย ตรวจสอบ ส่วนลด
""".split()
TH_CHARS = "กขคงจฉชซญดตถทธนบปผพฟมยรลวศสหอฮ"
TH_VOWELS = "าิีึืุูเแโใไ"


def _tail(rng: random.Random, make: object, size: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < size:
        word = make()  # type: ignore[operator]
        if word not in taken:
            taken.add(word)
            out.append(word)
    return out


@cache
def vocabulary(lang: str) -> tuple[str, ...]:
    """The words of ``lang`` in rank order (deterministic)."""
    rng = random.Random(f"vocab-{lang}")
    size = TAIL_SIZE[lang]
    if lang == "en":
        head = list(dict.fromkeys(EN_COMMON + EN_CONTENT))

        def make() -> str:
            return "".join(rng.choice(_EN_SYLLABLES) for _ in range(rng.randint(2, 3)))

    elif lang == "zh":
        head = list(dict.fromkeys(ZH_COMMON))

        def make() -> str:
            return "".join(rng.choice(ZH_CHARS) for _ in range(rng.choice((2, 2, 2, 3))))

    elif lang == "ja":
        head = list(dict.fromkeys(JA_COMMON))

        def make() -> str:
            return "".join(rng.choice(JA_KANA) for _ in range(rng.randint(3, 4)))

    else:
        head = list(dict.fromkeys(TH_COMMON))

        def make() -> str:
            return "".join(rng.choice(TH_CHARS) + rng.choice(TH_VOWELS) for _ in range(rng.randint(2, 3)))

    return tuple(head + _tail(rng, make, size, set(head)))


@cache
def cum_weights(lang: str) -> list[float]:
    weights = (1.0 / (rank**ZIPF_S) for rank in range(1, len(vocabulary(lang)) + 1))
    return list(itertools.accumulate(weights))


def word_probability(lang: str, rank: int) -> float:
    """The chance that one drawn word of ``lang`` is the word at ``rank`` (1-based)."""
    return (1.0 / rank**ZIPF_S) / cum_weights(lang)[-1]


def share_of_messages(lang: str, rank: int, words_per_message: float) -> float:
    """Expected share of the messages of ``lang`` that contain the word at ``rank``."""
    return 1.0 - (1.0 - word_probability(lang, rank)) ** words_per_message


# Query words at several frequencies: (label, rank). Ranks point at content words (English
# ranks past the function words; Chinese two-character words).
QUERY_RANKS = {
    "en": [("frequent", 20), ("common", 63), ("medium", 254), ("rare", 8000)],  # order refund mortgage ...
    "zh": [("frequent", 10), ("common", 19), ("medium", 60), ("rare", 6000)],  # 订单 退款 维修 ...
}
# Words per message: the generator's mean (its lengths are uniform in these bounds).
WORDS_PER_MESSAGE = {"en": (3, 18), "zh": (3, 14), "ja": (3, 10), "th": (3, 10)}


# Query bands for the load benchmark: (label, first rank, last rank); five content words of
# each band (English: 4+ letters, not a function word; Chinese: 2+ characters) are queried.
QUERY_BANDS = {
    "en": [("frequent", 1, 70), ("common", 90, 200), ("medium", 220, 420), ("rare", 6000, 20000)],
    "zh": [("frequent", 1, 25), ("common", 26, 90), ("medium", 300, 1200), ("rare", 6000, 12000)],
}
_EN_FUNCTION = frozenset("have this that with what will would could from when your there about just like know".split())


def query_band_words(lang: str, label: str, n: int = 5) -> list[tuple[int, str]]:
    """[(rank, word)]: ``n`` content words of the band, spread over it (deterministic)."""
    words = vocabulary(lang)
    _, lo, hi = next(b for b in QUERY_BANDS[lang] if b[0] == label)
    if lang == "en":
        ok = [(r, w) for r in range(lo, hi + 1) if len(w := words[r - 1]) >= 4 and w not in _EN_FUNCTION]
    else:
        ok = [(r, w) for r in range(lo, hi + 1) if len(w := words[r - 1]) >= 2]
    step = max(1, len(ok) // n)
    return ok[::step][:n]


def query_words(lang: str) -> list[tuple[str, int, str]]:
    """[(label, rank, word)] for ``lang``."""
    words = vocabulary(lang)
    return [(label, rank, words[rank - 1]) for label, rank in QUERY_RANKS[lang]]
