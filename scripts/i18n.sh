#!/usr/bin/env bash
# Re-extract the translatable texts into locale/*/LC_MESSAGES/{django,djangojs}.po and compile
# the .mo files (committed: the server needs no gettext tools). Needs GNU gettext
# (Debian: apt-get install -y gettext). After running it, translate the new or changed
# entries (empty msgstr, or marked "fuzzy") in each .po file, then run it again to compile.
#   scripts/i18n.sh            extract and compile
#   scripts/i18n.sh compile    compile only
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
# The dashboard's languages (settings.CC_STAFF_LANGUAGES) translate every text; the other
# languages (the visitor's only) the texts of locale/visitor_sources.txt.
STAFF_LOCALES=(zh_Hans zh_Hant)
VISITOR_LOCALES=(ja th)
LOCALES=()
for locale in "${STAFF_LOCALES[@]}" "${VISITOR_LOCALES[@]}"; do LOCALES+=(-l "$locale"); done
# Only the project's own code: not the virtualenv, node_modules or tests.
IGNORE=(--ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=media --ignore=tests
  --ignore=bench --ignore=docs --ignore=locale --ignore=build)

if [[ "${1:-}" != "compile" ]]; then
  # --no-obsolete: a text no longer in the code leaves the catalogue; --add-location=file keeps
  # diffs small when lines move.
  "$PYTHON" manage.py makemessages "${LOCALES[@]}" -d django "${IGNORE[@]}" --no-obsolete --add-location=file
  "$PYTHON" manage.py makemessages "${LOCALES[@]}" -d djangojs "${IGNORE[@]}" --no-obsolete --add-location=file \
    --extension=js
  # The visitor's languages keep the visitor's texts only (msggrep --location).
  PATTERNS=()
  while read -r pattern; do
    [[ -z "$pattern" || "$pattern" == \#* ]] || PATTERNS+=(-N "$pattern")
  done < locale/visitor_sources.txt
  for locale in "${VISITOR_LOCALES[@]}"; do
    for po in locale/"$locale"/LC_MESSAGES/django.po locale/"$locale"/LC_MESSAGES/djangojs.po; do
      msggrep "${PATTERNS[@]}" -o "$po.tmp" "$po" && mv "$po.tmp" "$po"
      # A new catalogue's header: these languages have one form (no plural).
      sed -i 's/^"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"$/"Plural-Forms: nplurals=1; plural=0;\\n"/' "$po"
    done
  done
fi
"$PYTHON" manage.py compilemessages "${LOCALES[@]}" --ignore=.venv --ignore=node_modules
# Untranslated entries left: say so (they show in English until translated).
"$PYTHON" - <<'PY'
from pathlib import Path
import re
for po in sorted(Path("locale").glob("*/LC_MESSAGES/*.po")):
    text = po.read_text(encoding="utf-8")
    blocks = text.split("\n\n")[1:]
    missing = sum(1 for b in blocks if re.search(r'^msgstr(\[\d\])? ""\n(?!")', b + "\n", re.M) or "#, fuzzy" in b)
    if missing:
        print(f"{po}: {missing} entries to translate")
PY
