//! Tokens and cost per task, read from each agent's own events as data, and budgets.
//!
//! An agent's profile says, in its `usage` section, which JSON events carry token counts and
//! cost and where (dotted field paths), and what a figure means:
//! - `per_event`: each event reports new usage (OpenCode's `step_finish`, Pi's `message_end`,
//!   Claude's one `result` per run): an attempt's usage is the sum of its events;
//! - `conversation`: each event reports the conversation's running total, earlier runs of the
//!   same conversation included (Codex's `turn.completed` after `exec resume`): an attempt adds
//!   its last figure minus the total already counted for the conversation, so a resumed
//!   conversation is never counted twice.
//!
//! Input tokens are kept as all input (cached reads included); `cached_in_input: false` says
//! the agent reports cached reads apart from its input (Claude, OpenCode, Pi), and they are
//! added to it. The token budget counts input + output.
//!
//! The host folds an attempt's event file into one [`Usage`] with [`read_usage`] (new complete
//! lines only, keeping the previous result), passes it to the monitor in
//! `Observation::usage`, and the monitor keeps per-attempt figures and the task's total in the
//! record ([`record_attempt`]) and stops a task past its [`Budget`].

use crate::error::{CoreError, CoreResult};
use crate::validate::Num;
use serde::{Deserialize, Serialize};

/// Largest token count kept (2^53 − 1): every figure stays exact in a JS number.
pub const MAX_TOKENS: u64 = (1 << 53) - 1;
/// Per-attempt entries kept in a record; older ones are dropped (the total keeps them).
const MAX_ATTEMPT_ENTRIES: usize = 100;
/// Longest field path and event type in a profile.
const MAX_PATH: usize = 128;
/// Most usage events a profile may list.
const MAX_EVENTS: usize = 16;

/// What a figure in an agent's usage events means ([`UsageData::totals`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Totals {
    /// Each event reports usage of its own: sum them.
    PerEvent,
    /// Each event reports the conversation's running total (earlier runs included): take the
    /// last, minus what earlier attempts of the conversation already counted.
    Conversation,
}

/// Where a figure is: one dotted path, or several whose numbers are added (Claude's input is
/// `usage.input_tokens` plus `usage.cache_creation_input_tokens`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Paths {
    One(String),
    Many(Vec<String>),
}

impl Paths {
    fn list(&self) -> &[String] {
        match self {
            Paths::One(p) => std::slice::from_ref(p),
            Paths::Many(v) => v,
        }
    }
}

/// One event that carries usage: a JSON line whose `type` is `type`, and the dotted paths of
/// its figures (each optional; an event with none of them present is skipped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageEvent {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Paths>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Paths>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached: Option<Paths>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<Paths>,
}

/// The `usage` section of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageData {
    pub events: Vec<UsageEvent>,
    pub totals: Totals,
    /// True when the agent's input count already includes cached reads (Codex, Gemini).
    #[serde(default)]
    pub cached_in_input: bool,
}

impl UsageData {
    /// Checks the section (`field` names the first bad one, relative to `usage`).
    pub fn check(&self) -> Result<(), (String, String)> {
        if self.events.is_empty() || self.events.len() > MAX_EVENTS {
            return Err(("usage.events".into(), format!("list 1 to {MAX_EVENTS} events")));
        }
        for (i, e) in self.events.iter().enumerate() {
            let at = |f: &str| format!("usage.events[{i}].{f}");
            if e.kind.is_empty() || e.kind.len() > MAX_PATH || e.kind.chars().any(char::is_control) {
                return Err((at("type"), format!("expected the event's type, 1-{MAX_PATH} characters")));
            }
            let paths = [("input", &e.input), ("output", &e.output), ("cached", &e.cached), ("cost_usd", &e.cost_usd)];
            if paths.iter().all(|(_, p)| p.is_none()) {
                return Err((at("input"), "give at least one of input, output, cached, cost_usd".into()));
            }
            for (name, p) in paths {
                let list = p.as_ref().map(|p| p.list()).unwrap_or_default();
                if p.is_some() && (list.is_empty() || list.len() > 8) {
                    return Err((at(name), "expected a path or a list of 1 to 8 paths".into()));
                }
                for p in list {
                    let ok = !p.is_empty()
                        && p.len() <= MAX_PATH
                        && p.split('.').all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-$".contains(&b)));
                    if !ok {
                        return Err((at(name), "expected a dotted field path like \"usage.input_tokens\"".into()));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Tokens and cost. Input counts all input tokens (cached reads included); `cachedTokens` is
/// the part of it read from a cache. `costUsd` is null when the agent reports no cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cached_tokens: u64,
    #[serde(default)]
    pub cost_usd: Option<f64>,
}

impl Usage {
    /// Input plus output: what a token budget counts.
    pub fn tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens).min(MAX_TOKENS)
    }

    fn plus(&self, o: &Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens.saturating_add(o.input_tokens).min(MAX_TOKENS),
            output_tokens: self.output_tokens.saturating_add(o.output_tokens).min(MAX_TOKENS),
            cached_tokens: self.cached_tokens.saturating_add(o.cached_tokens).min(MAX_TOKENS),
            cost_usd: match (self.cost_usd, o.cost_usd) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
            },
        }
    }

    /// Each figure the larger of the two.
    fn at_least(&self, o: &Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens.max(o.input_tokens),
            output_tokens: self.output_tokens.max(o.output_tokens),
            cached_tokens: self.cached_tokens.max(o.cached_tokens),
            cost_usd: match (self.cost_usd, o.cost_usd) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            },
        }
    }

    /// `self − base`, or `None` when any figure went down (not the same conversation).
    fn minus(&self, base: &Usage) -> Option<Usage> {
        let cost = match (self.cost_usd, base.cost_usd) {
            (Some(a), Some(b)) if a + 1e-9 < b => return None,
            (Some(a), b) => Some((a - b.unwrap_or(0.0)).max(0.0)),
            (None, _) => None,
        };
        Some(Usage {
            input_tokens: self.input_tokens.checked_sub(base.input_tokens)?,
            output_tokens: self.output_tokens.checked_sub(base.output_tokens)?,
            cached_tokens: self.cached_tokens.checked_sub(base.cached_tokens)?,
            cost_usd: cost,
        })
    }

    fn check(&self, field: &str) -> Result<(), String> {
        for (f, v) in [("inputTokens", self.input_tokens), ("outputTokens", self.output_tokens), ("cachedTokens", self.cached_tokens)] {
            if v > MAX_TOKENS {
                return Err(format!("{field}.{f} is larger than {MAX_TOKENS}"));
            }
        }
        if self.cost_usd.is_some_and(|c| !(c.is_finite() && c >= 0.0)) {
            return Err(format!("{field}.costUsd must be a finite, non-negative number"));
        }
        Ok(())
    }
}

/// One attempt's usage in a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttemptUsage {
    pub attempt: u32,
    /// What this attempt added to the task's total.
    pub usage: Usage,
    /// For `conversation` agents: the conversation's running total the attempt last reported.
    #[serde(default)]
    pub conversation_total: Option<Usage>,
}

/// A task's usage: its total and the figures of each attempt that reported any.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskUsage {
    pub total: Usage,
    pub attempts: Vec<AttemptUsage>,
}

/// A task's limits, fixed at start (a manual resume may raise them). Null: no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Budget {
    #[serde(default)]
    pub max_cost_usd: Option<f64>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
}

impl Budget {
    /// Checks the limits (`invalid_option` naming the field).
    pub fn validate(&self) -> CoreResult<()> {
        if let Some(c) = self.max_cost_usd {
            if !(c.is_finite() && c > 0.0 && c <= 1e9) {
                return Err(CoreError::InvalidOption { field: "maxCostUsd", value: Num(c).to_string(), reason: "expected a cost in US dollars greater than 0" });
            }
        }
        if let Some(t) = self.max_tokens {
            if t == 0 || t > MAX_TOKENS {
                return Err(CoreError::InvalidOption { field: "maxTokens", value: t.to_string(), reason: "expected a whole number of tokens of at least 1" });
            }
        }
        Ok(())
    }

    /// The sentence saying which limit `total` is past, if any.
    pub fn exceeded_by(&self, total: &Usage) -> Option<String> {
        if let (Some(max), Some(cost)) = (self.max_cost_usd, total.cost_usd) {
            if cost >= max {
                return Some(format!("spent ${} of a ${} budget", usd(cost), usd(max)));
            }
        }
        if let Some(max) = self.max_tokens {
            if total.tokens() >= max {
                return Some(format!("used {} tokens of a {max}-token budget", total.tokens()));
            }
        }
        None
    }
}

/// Checks a record's usage and budget fields (for `record::check_record`).
pub fn check_record_fields(usage: Option<&TaskUsage>, budget: Option<&Budget>) -> Result<(), String> {
    if let Some(u) = usage {
        u.total.check("usage.total")?;
        if u.attempts.len() > MAX_ATTEMPT_ENTRIES {
            return Err(format!("usage.attempts has more than {MAX_ATTEMPT_ENTRIES} entries"));
        }
        for (i, a) in u.attempts.iter().enumerate() {
            a.usage.check(&format!("usage.attempts[{i}].usage"))?;
            if let Some(c) = &a.conversation_total {
                c.check(&format!("usage.attempts[{i}].conversationTotal"))?;
            }
        }
    }
    if let Some(b) = budget {
        b.validate().map_err(|e| format!("budget: {e}"))?;
    }
    Ok(())
}

fn usd(v: f64) -> String {
    format!("{:.4}", v).trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Folds the complete JSON lines of `text` (new lines of one attempt's event file) into the
/// attempt's usage so far, `prev` (null before the first line). Returns null while no line
/// carried usage. Lines that are not JSON, or not a usage event, are skipped; so is a figure
/// that is not a non-negative number.
pub fn read_usage(data: &UsageData, prev: Option<Usage>, text: &str) -> Option<Usage> {
    let mut acc = prev;
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with('{') {
            continue;
        }
        // Most lines are not usage events: a substring test spares parsing them.
        let candidates: Vec<&UsageEvent> = data.events.iter().filter(|e| line.contains(e.kind.as_str())).collect();
        if candidates.is_empty() {
            continue;
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let kind = v.get("type").and_then(|t| t.as_str());
        let Some(ev) = candidates.into_iter().find(|e| Some(e.kind.as_str()) == kind) else { continue };
        let Some(u) = figures(data, ev, &v) else { continue };
        acc = Some(match (data.totals, acc) {
            (Totals::PerEvent, Some(a)) => a.plus(&u),
            _ => u,
        });
    }
    acc
}

fn figures(data: &UsageData, ev: &UsageEvent, v: &serde_json::Value) -> Option<Usage> {
    let get = |p: &Option<Paths>| {
        p.as_ref()?.list().iter().filter_map(|p| number_at(v, p)).fold(None, |s: Option<f64>, n| Some(s.unwrap_or(0.0) + n))
    };
    let (input, output, cached, cost) = (get(&ev.input), get(&ev.output), get(&ev.cached), get(&ev.cost_usd));
    if input.is_none() && output.is_none() && cached.is_none() && cost.is_none() {
        return None;
    }
    let tokens = |x: Option<f64>| x.map(|t| (t.floor() as u64).min(MAX_TOKENS)).unwrap_or(0);
    let cached = tokens(cached);
    let mut input = tokens(input);
    if !data.cached_in_input {
        input = input.saturating_add(cached).min(MAX_TOKENS);
    }
    Some(Usage { input_tokens: input, output_tokens: tokens(output), cached_tokens: cached, cost_usd: cost })
}

/// The non-negative finite number at a dotted path.
fn number_at(v: &serde_json::Value, path: &str) -> Option<f64> {
    let mut cur = v;
    for key in path.split('.') {
        cur = cur.get(key)?;
    }
    cur.as_f64().filter(|n| n.is_finite() && *n >= 0.0 && *n <= 1e15)
}

/// Records what attempt `attempt` has reported so far (`reading`, from [`read_usage`]) in the
/// record's usage: its entry is replaced (never by smaller figures) and the total recomputed.
/// Returns whether anything changed.
pub fn record_attempt(usage: &mut Option<TaskUsage>, data: &UsageData, attempt: u32, reading: &Usage) -> bool {
    let mut u = usage.clone().unwrap_or_default();
    let earlier: Vec<&AttemptUsage> = u.attempts.iter().filter(|a| a.attempt < attempt).collect();
    let (added, conv) = match data.totals {
        Totals::PerEvent => (*reading, None),
        Totals::Conversation => {
            // The newest running total an earlier attempt reported is already counted.
            let base = earlier.iter().rev().find_map(|a| a.conversation_total);
            let added = match base {
                Some(b) => reading.minus(&b).unwrap_or(*reading),
                None => *reading,
            };
            (added, Some(*reading))
        }
    };
    let old = u.attempts.iter().position(|a| a.attempt == attempt);
    // An attempt's figures only grow: its event file is written by the agent's process, so a
    // file truncated, rewritten smaller or ended with a lower running total must not lower what
    // was already counted (and so lift a budget).
    let (added, conv) = match old.map(|i| &u.attempts[i]) {
        Some(prev) => (
            added.at_least(&prev.usage),
            match (conv, prev.conversation_total) {
                (Some(c), Some(p)) => Some(c.at_least(&p)),
                (c, p) => c.or(p),
            },
        ),
        None => (added, conv),
    };
    let entry = AttemptUsage { attempt, usage: added, conversation_total: conv };
    // The total moves by the change of this attempt's entry, so entries dropped for room (the
    // oldest, past MAX_ATTEMPT_ENTRIES) stay counted in it.
    let base = match old {
        Some(i) if u.attempts[i] == entry => return false,
        Some(i) => u.total.minus(&u.attempts[i].usage).unwrap_or_default(),
        None => u.total,
    };
    u.total = base.plus(&added);
    match old {
        Some(i) => u.attempts[i] = entry,
        None => {
            u.attempts.push(entry);
            u.attempts.sort_by_key(|a| a.attempt);
            if u.attempts.len() > MAX_ATTEMPT_ENTRIES {
                let n = u.attempts.len() - MAX_ATTEMPT_ENTRIES;
                u.attempts.drain(..n);
            }
        }
    }
    *usage = Some(u);
    true
}

/// "1,234 tokens (in 1,000, out 234, cached 0), $0.0123" style summary for messages.
pub fn summary(u: &Usage) -> String {
    let mut s = format!("{} tokens (in {}, out {}, cached {})", u.tokens(), u.input_tokens, u.output_tokens, u.cached_tokens);
    if let Some(c) = u.cost_usd {
        s.push_str(&format!(", ${}", usd(c)));
    }
    s
}

/// Which limit of its budget a task has reached, if any (a manual resume is refused then).
pub fn budget_detail(record: &crate::record::TaskRecord) -> Option<String> {
    let total = record.usage.as_ref()?.total;
    record.budget.as_ref()?.exceeded_by(&total)
}

/// The record with budget `budget` (validated; `None` removes it), for the host at start and
/// before a manual resume that raises it. A final or running task may have its budget changed:
/// the next monitor step applies it.
pub fn with_budget(record: &crate::record::TaskRecord, budget: Option<Budget>, now: crate::model::Millis) -> CoreResult<crate::record::TaskRecord> {
    if !(now.is_finite() && now >= 0.0) {
        return Err(CoreError::InvalidInput(format!("now must be a finite time in ms, got {}", Num(now))));
    }
    if let Some(b) = &budget {
        b.validate()?;
    }
    let budget = budget.filter(|b| b.max_cost_usd.is_some() || b.max_tokens.is_some());
    let mut rec = record.clone();
    if rec.budget != budget {
        rec.budget = budget;
        rec.updated_at = now;
    }
    Ok(rec)
}

/// What an agent's events report (from its profile): tokens, cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
pub struct UsageReport {
    pub tokens: bool,
    pub cost: bool,
}

impl UsageReport {
    pub fn of(data: Option<&UsageData>) -> UsageReport {
        let any = |f: fn(&UsageEvent) -> bool| data.is_some_and(|d| d.events.iter().any(f));
        UsageReport { tokens: any(|e| e.input.is_some() || e.output.is_some()), cost: any(|e| e.cost_usd.is_some()) }
    }
}
