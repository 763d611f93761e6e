// Unit tests of the reports' data helpers (static/js/dashboard/reports_data.js): dates in the
// business's time zone, the Analytics page's URL state, API rows into chart series and tables.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  addDays,
  agentName,
  agentsToday,
  agentsUrl,
  analyticsCharts,
  availabilityChart,
  chartSummary,
  columnsOf,
  dateIn,
  figuresOf,
  formatValue,
  hourIn,
  hourOf,
  isDate,
  messagesPerHour,
  perHour,
  presetOf,
  presetRange,
  rankingChart,
  rankingTable,
  rowLabel,
  stateFromParams,
  stateToSearch,
  summaryColumns,
  summaryUrl,
  summaryUrlOf,
  tableOf,
  tableOfChart,
  timeStep,
  todayVsLastWeek,
} from "../../static/js/dashboard/reports_data.js";

const TODAY = "2026-03-04";

describe("dates", () => {
  it("knows a real date", () => {
    assert.equal(isDate("2026-02-28"), true);
    assert.equal(isDate("2026-02-30"), false);
    assert.equal(isDate("2026-2-3"), false);
    assert.equal(isDate(""), false);
  });

  it("takes the date and hour of an instant in the business's time zone", () => {
    const instant = new Date("2026-03-03T17:30:00Z");
    assert.equal(dateIn("Asia/Shanghai", instant), "2026-03-04"); // 01:30 the next day
    assert.equal(dateIn("America/New_York", instant), "2026-03-03");
    assert.equal(hourIn("Asia/Shanghai", instant), 1);
    assert.equal(hourIn("UTC", new Date("2026-03-03T00:10:00Z")), 0);
  });

  it("adds days across months and years", () => {
    assert.equal(addDays("2026-03-01", -1), "2026-02-28");
    assert.equal(addDays("2025-12-31", 1), "2026-01-01");
    assert.equal(addDays(TODAY, -7), "2026-02-25");
  });

  it("turns presets into ranges that include today, and back", () => {
    assert.deepEqual(presetRange("today", TODAY), { from: TODAY, to: TODAY });
    assert.deepEqual(presetRange("7d", TODAY), { from: "2026-02-26", to: TODAY });
    assert.deepEqual(presetRange("90d", TODAY), { from: "2025-12-05", to: TODAY });
    assert.equal(presetOf("2026-02-03", TODAY, TODAY), "30d");
    assert.equal(presetOf("2026-02-01", "2026-02-10", TODAY), "custom");
  });
});

describe("the analytics page's state", () => {
  it("reads presets, custom dates, grouping and filters from the URL", () => {
    const state = stateFromParams(new URLSearchParams("range=30d&group_by=channel&channel=4&tag=2&conversation_tag=9&channel_kind=line&agent=7"), { today: TODAY, isAdmin: true });
    assert.deepEqual(state, {
      preset: "30d",
      from: "2026-02-03",
      to: TODAY,
      group_by: "channel",
      agent: "7",
      channel: "4",
      channel_kind: "line",
      tag: "2",
      conversation_tag: "9",
    });
    const custom = stateFromParams(new URLSearchParams("from=2026-01-01&to=2026-01-31"), { today: TODAY, isAdmin: true });
    assert.equal(custom.preset, "custom");
    assert.equal(custom.from, "2026-01-01");
  });

  it("falls back to the last 7 days by day on anything invalid", () => {
    for (const query of ["from=2026-02-10&to=2026-02-01", "from=nonsense&to=2026-02-01", "range=year", ""]) {
      const state = stateFromParams(new URLSearchParams(query), { today: TODAY, isAdmin: true });
      assert.equal(state.preset, "7d", query);
      assert.equal(state.from, "2026-02-26", query);
    }
    const odd = stateFromParams(new URLSearchParams("group_by=weather&channel=abc&channel_kind=<b>"), { today: TODAY, isAdmin: true });
    assert.equal(odd.group_by, "day");
    assert.equal(odd.channel, "");
    assert.equal(odd.channel_kind, "");
  });

  it("gives agents neither an agent filter nor grouping by agent", () => {
    const state = stateFromParams(new URLSearchParams("agent=7&group_by=agent"), { today: TODAY, isAdmin: false });
    assert.equal(state.agent, "");
    assert.equal(state.group_by, "day");
  });

  it("writes the page's URL and the API's URLs", () => {
    const state = stateFromParams(new URLSearchParams("range=7d&group_by=hour&tag=3"), { today: TODAY, isAdmin: true });
    assert.equal(stateToSearch(state), "?range=7d&group_by=hour&tag=3");
    assert.equal(summaryUrl(state), "/api/v1/analytics/summary?from=2026-02-26&to=2026-03-04&group_by=hour&tag=3");
    assert.equal(summaryUrl(state, { format: "csv" }), "/api/v1/analytics/summary?from=2026-02-26&to=2026-03-04&group_by=hour&tag=3&format=csv");
    const custom = { ...state, preset: "custom", from: "2026-01-01", to: "2026-01-02", group_by: "day", tag: "" };
    assert.equal(stateToSearch(custom), "?from=2026-01-01&to=2026-01-02");
    assert.equal(summaryUrlOf(), "/api/v1/analytics/summary");
    assert.equal(summaryUrlOf({ from: TODAY, to: TODAY, group_by: "agent" }), "/api/v1/analytics/summary?from=2026-03-04&to=2026-03-04&group_by=agent");
    assert.equal(agentsUrl({ from: TODAY, to: "", format: "csv" }), "/api/v1/analytics/agents?from=2026-03-04&format=csv");
  });
});

describe("figures", () => {
  it("writes counts, rates, durations and scores, and a dash for none", () => {
    assert.equal(formatValue(12, "count"), "12");
    assert.equal(formatValue(0.1234, "rate"), "12.3%");
    assert.equal(formatValue(95, "seconds"), "1m 35s");
    assert.equal(formatValue(4.5, "score"), "4.50");
    assert.equal(formatValue(1.5, "hours"), "1h 30m");
    assert.equal(formatValue(null, "seconds"), "—");
    assert.equal(formatValue(undefined, "count"), "—");
  });

  it("lists today's figures from the total", () => {
    const figures = figuresOf({ opened: 8, handled: 6, missed: 2, missed_rate: 0.25, resolved: 5, wait_p50_s: 30, first_response_p50_s: 75.5, csat_avg: 4.5, csat_count: 2 });
    assert.deepEqual(
      figures.map((f) => [f.label, f.value]),
      [
        ["Opened", "8"],
        ["Handled", "6"],
        ["Missed", "2 (25.0%)"],
        ["Resolved", "5"],
        ["Wait p50", "30s"],
        ["First response p50", "1m 16s"],
        ["CSAT", "4.50 / 5"],
      ],
    );
    const empty = figuresOf({ opened: 0, handled: 0, missed: 0, missed_rate: null, resolved: 0, wait_p50_s: null, csat_count: 0, csat_avg: null });
    assert.deepEqual(
      empty.map((f) => f.value),
      ["0", "0", "0", "0", "—", "—", "—"],
    );
  });
});

describe("rows", () => {
  it("finds the hour of an hour row's key", () => {
    assert.equal(hourOf("2026-03-04T09:00:00+08:00"), 9);
    assert.equal(hourOf("2026-03-04 23:00"), 23);
    assert.equal(hourOf(7), 7);
    assert.equal(hourOf("14"), 14);
    assert.equal(hourOf("nonsense"), null);
    assert.equal(hourOf(null), null);
  });

  it("spreads hour rows over the day's 24 hours", () => {
    const rows = [
      { key: "2026-03-04T00:00:00+08:00", opened: 2 },
      { key: "2026-03-04T13:00:00+08:00", opened: 5 },
    ];
    const hours = perHour(rows, "opened");
    assert.equal(hours.length, 24);
    assert.equal(hours[0], 2);
    assert.equal(hours[13], 5);
    assert.equal(hours.reduce((a, b) => a + b, 0), 7);
  });

  it("names rows: days, hours, agents, nobody", () => {
    assert.equal(rowLabel({ key: "2026-03-04" }, "day", { locale: "en-US" }), "Mar 4");
    assert.equal(rowLabel({ key: "2026-03-04T09:00:00+08:00" }, "hour"), "09:00");
    assert.equal(rowLabel({ key: "2026-03-04T09:00:00+08:00" }, "hour", { multiDay: true, locale: "en-US" }), "Mar 4 09:00");
    assert.equal(rowLabel({ key: 3, label: "Alice Agent" }, "agent"), "Alice Agent");
    assert.equal(rowLabel({ key: null, label: null }, "agent"), "Unassigned");
    assert.equal(rowLabel({ key: null }, "conversation_tag"), "Untagged");
    assert.equal(rowLabel({ key: "line", label: "" }, "channel_kind"), "line");
  });
});

const ROWS = [
  { key: "2026-03-03", opened: 4, handled: 3, missed: 1, missed_rate: 0.25, missed_by_reason: { timeout: 1, nobody_available: 0 }, wait_p50_s: 20, wait_p90_s: 60, first_response_p50_s: 30, first_response_p90_s: 90, csat_avg: 4, csat_count: 1, csat_share_4_5: 1 },
  { key: "2026-03-04", opened: 0, handled: 0, missed: 0, missed_rate: null, wait_p50_s: null, wait_p90_s: null, first_response_p50_s: null, first_response_p90_s: null, csat_avg: null, csat_count: 0, csat_share_4_5: null },
];

describe("analytics charts and tables", () => {
  it("draws lines over time, bars across groups, and keeps gaps as gaps", () => {
    const charts = analyticsCharts(ROWS, "day", { locale: "en-US" });
    assert.equal(charts.volume.type, "line");
    assert.deepEqual(charts.volume.labels, ["Mar 3", "Mar 4"]);
    assert.deepEqual(
      charts.volume.series.map((s) => [s.label, s.data]),
      [
        ["Opened", [4, 0]],
        ["Handled", [3, 0]],
        ["Missed", [1, 0]],
      ],
    );
    assert.equal(charts.times.kind, "seconds");
    assert.deepEqual(charts.times.series[0].data, [20, null]);
    assert.deepEqual(charts.csat.series[0].data, [4, null]);
    assert.equal(charts.missed.stacked, true);
    assert.deepEqual(
      charts.missed.series.map((s) => [s.label, s.data]),
      [
        ["Nobody picked up in time", [1, 0]],
        ["Nobody available", [0, 0]],
        ["Out of hours", [0, 0]],
        ["All rejected", [0, 0]],
        ["Left a note", [0, 0]],
      ],
    );
    const byAgent = analyticsCharts([{ key: 1, label: "Alice", opened: 2 }], "agent");
    assert.equal(byAgent.volume.type, "bar");
    assert.equal(byAgent.volume.horizontal, false);
    const many = analyticsCharts(
      Array.from({ length: 9 }, (_, i) => ({ key: i, label: `T${i}`, opened: i })),
      "tag",
    );
    assert.equal(many.volume.horizontal, true, "many groups: horizontal bars, names readable");
  });

  it("tabulates rows with a total row, and a chart's own figures", () => {
    const table = tableOf(ROWS, "day", columnsOf(["opened", "missed_rate", "wait_p50_s"]), { total: { opened: 4, missed_rate: 0.25, wait_p50_s: 20 }, locale: "en-US" });
    assert.deepEqual(table.head, ["Day", "Opened", "Missed rate", "Wait p50"]);
    assert.deepEqual(table.body, [
      ["Mar 3", "4", "25.0%", "20s"],
      ["Mar 4", "0", "—", "—"],
    ]);
    assert.deepEqual(table.foot, ["Total", "4", "25.0%", "20s"]);
    assert.equal(summaryColumns().length, 18);
    const spec = analyticsCharts(ROWS, "day", { locale: "en-US" }).volume;
    assert.deepEqual(tableOfChart(spec, "Day"), {
      head: ["Day", "Opened", "Handled", "Missed"],
      body: [
        ["Mar 3", "4", "3", "1"],
        ["Mar 4", "0", "0", "0"],
      ],
    });
  });

  it("sums a chart up in one sentence", () => {
    const spec = analyticsCharts(ROWS, "day", { locale: "en-US" });
    assert.equal(chartSummary("Conversations", spec.volume), "Conversations. Opened: highest 4 (Mar 3), 4 in all; Handled: highest 3 (Mar 3), 3 in all; Missed: highest 1 (Mar 3), 1 in all.");
    assert.equal(chartSummary("CSAT", spec.csat), "CSAT. CSAT (average, 1-5): highest 4.00 (Mar 3).");
    assert.equal(chartSummary("Empty", { ...spec.csat, labels: [] }), "Empty: no data.");
    const none = { ...spec.times, series: [{ label: "Wait p50", data: [null, null], color: "#000" }] };
    assert.equal(chartSummary("Times", none), "Times. Wait p50: none.");
  });
});

describe("home", () => {
  const today = [
    { key: "2026-03-04T09:00:00+08:00", opened: 3, messages_customer: 6, messages_staff: 4 },
    { key: "2026-03-04T10:00:00+08:00", opened: 1, messages_customer: 1, messages_staff: 0 },
  ];
  const lastWeek = [
    { key: "2026-02-25T09:00:00+08:00", opened: 2, messages_customer: 2, messages_staff: 2 },
    { key: "2026-02-25T15:00:00+08:00", opened: 5, messages_customer: 1, messages_staff: 1 },
  ];

  it("sets today against the same weekday last week, today only up to now", () => {
    const spec = todayVsLastWeek(today, lastWeek, 10, "Wednesday");
    assert.equal(spec.labels.length, 24);
    assert.equal(spec.labels[9], "09:00");
    const [week, now] = spec.series;
    assert.equal(week.label, "Last Wednesday");
    assert.equal(week.data[15], 5);
    assert.equal(now.label, "Today");
    assert.equal(now.data[9], 3);
    assert.equal(now.data[10], 1);
    assert.equal(now.data[0], 0);
    assert.equal(now.data[11], null, "hours to come are not zeros");
  });

  it("stacks today's messages by customers and staff, last week's as one bar", () => {
    const spec = messagesPerHour(today, lastWeek, 10, "Wednesday");
    assert.equal(spec.stacked, true);
    assert.deepEqual(
      spec.series.map((s) => [s.label, s.stack, s.data[9]]),
      [
        ["Customers today", "today", 6],
        ["Staff today", "today", 4],
        ["All last Wednesday", "week", 4],
      ],
    );
    assert.equal(spec.series[0].data[12], null);
    assert.equal(spec.series[2].data[15], 2);
  });

  it("orders agents by their new conversations, unassigned last", () => {
    const spec = agentsToday([
      { key: null, label: null, opened: 9, handled: 0, resolved: 0, missed: 9 },
      { key: 2, label: "Bob", opened: 1, handled: 1, resolved: 0, missed: 0 },
      { key: 1, label: "Alice", opened: 3, handled: 3, resolved: 2, missed: 0 },
    ]);
    assert.deepEqual(spec.labels, ["Alice", "Bob", "Unassigned"]);
    assert.deepEqual(
      spec.series.map((s) => [s.label, s.data]),
      [
        ["Opened", [3, 1, 9]],
        ["Resolved", [2, 0, 0]],
        ["Missed", [0, 0, 9]],
      ],
    );
    assert.equal(spec.horizontal, true);
  });
});

describe("monitor", () => {
  const agents = [
    { key: 2, label: "Bob Agent", rank: 2, handled: 1, resolved: 1, first_response_p50_s: 40, handle_time_p50_s: 300, csat_avg: null, csat_count: 0, messages_staff: 3, active_s: 3600, busy_s: 0, away_s: 1800, offline_s: 100, load_avg: 0.5, load_max: 1 },
    { key: 1, label: "Alice Agent", rank: 1, handled: 4, resolved: 3, first_response_p50_s: 20, handle_time_p50_s: 200, csat_avg: 5, csat_count: 2, messages_staff: 9, active_s: 7200, busy_s: 900, away_s: 0, offline_s: 0, load_avg: 1.25, load_max: 2 },
  ];

  it("names an agent whatever the row calls it", () => {
    assert.equal(agentName({ label: "A" }), "A");
    assert.equal(agentName({ agent: { id: 1, display_name: "B" } }), "B");
    assert.equal(agentName({ key: 5 }), "5");
  });

  it("ranks agents best first, in the chart and the table", () => {
    const chart = rankingChart(agents);
    assert.deepEqual(chart.labels, ["Alice Agent", "Bob Agent"]);
    assert.deepEqual(chart.series[0].data, [4, 1]);
    const table = rankingTable(agents);
    assert.deepEqual(table.head.slice(0, 4), ["Rank", "Agent", "Handled", "Resolved"]);
    assert.deepEqual(table.body[0].slice(0, 4), ["1", "Alice Agent", "4", "3"]);
    assert.equal(table.body[0][table.head.indexOf("First response p50")], "20s");
    assert.equal(table.body[1][table.head.indexOf("CSAT")], "—");
    assert.equal(table.body[0][table.head.indexOf("Active")], "2h 00m");
  });

  it("keeps seconds in the hours, so a short time active still shows", () => {
    const chart = availabilityChart([{ key: 1, label: "Alice Agent", active_s: 12.4, busy_s: 0, away_s: 0 }]);
    assert.equal(chart.series[0].data[0], 12 / 3600);
  });

  it("stacks the time in each state in hours", () => {
    const chart = availabilityChart(agents);
    assert.equal(chart.kind, "hours");
    assert.deepEqual(
      chart.series.map((s) => [s.label, s.data]),
      [
        ["Active", [2, 1]],
        ["Busy", [0.25, 0]],
        ["Away", [0, 0.5]],
      ],
    );
  });
});

describe("time axes", () => {
  it("step by round minutes and hours, five ticks at most", () => {
    const spec = (kind, data, stacked = false) => ({ type: "bar", labels: data.map(String), kind, stacked, series: [{ label: "a", data, color: "#000" }] });
    assert.equal(timeStep(spec("seconds", [40, 610])), 300);
    assert.equal(timeStep(spec("seconds", [20, null])), 5);
    assert.equal(timeStep(spec("seconds", [0])), 1);
    assert.equal(timeStep(spec("hours", [6.5])), 2);
    assert.equal(timeStep(spec("count", [6])), undefined);
    const stacked = { ...spec("hours", [3, 1], true), series: [{ label: "a", data: [3, 1], color: "#000" }, { label: "b", data: [2, 0], color: "#000" }] };
    assert.equal(timeStep(stacked), 1, "stacks add up: 5 h");
  });
});
