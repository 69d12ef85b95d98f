//! One table and one JSON document for every scenario: each row a figure, with the anchor it is
//! measured against in the same run, their ratio and the target when there is one.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub store: String,
    pub scenario: String,
    pub case: String,
    pub metric: String,
    pub value: f64,
    /// The anchor's figure for the same metric, measured in the same run.
    pub anchor: Option<f64>,
    /// `value / anchor` (or `anchor / value` for latencies, so that 1.0 is "as good as").
    pub ratio: Option<f64>,
    pub target: Option<String>,
    pub met: Option<bool>,
    /// Share of the machine's CPU used by other processes during the measurement, in %.
    pub other_load_pct: Option<f64>,
}

impl Row {
    pub fn new(store: &str, scenario: &str, case: impl Into<String>, metric: &str, value: f64) -> Self {
        Self {
            store: store.to_owned(),
            scenario: scenario.to_owned(),
            case: case.into(),
            metric: metric.to_owned(),
            value,
            anchor: None,
            ratio: None,
            target: None,
            met: None,
            other_load_pct: None,
        }
    }

    /// Beside an anchor where more is better (requests/s, MB/s).
    pub fn against(mut self, anchor: f64) -> Self {
        self.anchor = Some(anchor);
        self.ratio = (anchor > 0.0).then(|| self.value / anchor);
        self
    }

    /// Beside an anchor where less is better (latency): the ratio says how many times slower.
    pub fn slower_than(mut self, anchor: f64) -> Self {
        self.anchor = Some(anchor);
        self.ratio = (anchor > 0.0).then(|| self.value / anchor);
        self
    }

    pub fn target(mut self, text: &str, met: bool) -> Self {
        self.target = Some(text.to_owned());
        self.met = Some(met);
        self
    }

    pub fn load(mut self, other_pct: f64) -> Self {
        self.other_load_pct = Some(other_pct);
        self
    }
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub nproc: usize,
    pub memory_mib: u64,
    pub load_average: String,
    pub kernel: String,
    pub started_at: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub rows: Vec<Row>,
}

fn number(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

pub fn print_row(row: &Row) {
    let opt = |v: Option<f64>| v.map(number).unwrap_or_default();
    let verdict = match row.met {
        Some(true) => format!("met: {}", row.target.as_deref().unwrap_or_default()),
        Some(false) => format!("MISSED: {}", row.target.as_deref().unwrap_or_default()),
        None => String::new(),
    };
    println!(
        "{:<10} {:<12} {:<46} {:<16} {:>10} {:>10} {:>7} {:>6}  {}",
        row.store,
        row.scenario,
        row.case,
        row.metric,
        number(row.value),
        opt(row.anchor),
        opt(row.ratio),
        opt(row.other_load_pct),
        verdict
    );
}

pub fn print_header() {
    println!(
        "{:<10} {:<12} {:<46} {:<16} {:>10} {:>10} {:>7} {:>6}  {}",
        "store", "scenario", "case", "metric", "value", "anchor", "ratio", "other%", "target"
    );
}
