//! Picking events out of an agent's JSONL stream and reading their fields, as data.
//!
//! Three small pieces every reader of an event stream shares (the event grammar of
//! [`crate::event_grammar`], and anything else that reads the same events):
//! - [`FieldPath`]: `"error.data.statusCode"`, a dotted path into one JSON line;
//! - [`EventMatch`]: the `when` selector, `{ "type": "result", "message.role": "assistant" }`,
//!   every listed field must hold one of the given values;
//! - [`Template`]: `"{error.name}: {error.data.message}"`, a text built from fields.
//!
//! Lines are read with the forgiving reader in [`crate::classify::jsonl`]: a truncated line
//! (the agent was killed mid-write) still yields the fields before the damage.
//!
//! Each is written in the profile as plain JSON (kept as written, so `agents show --json`
//! prints what the operator wrote) and checked by its `parse`, whose error names the part
//! that is wrong; the caller prefixes the profile field.

use crate::classify::jsonl;
use serde_json::Value;
use std::collections::BTreeMap;

/// The fields of one event line (see [`crate::classify::jsonl::object`]).
pub type Fields<'a> = jsonl::Fields<'a>;

/// Reads the top-level fields of one line, or `None` when it is not a JSON object.
pub fn event(line: &str) -> Option<Fields<'_>> {
    jsonl::object(line)
}

/// Longest path, in steps (bounds the work on a hostile profile).
const MAX_STEPS: usize = 8;
/// Most values one selector field may list.
const MAX_VALUES: usize = 64;
/// Longest template, in bytes.
const MAX_TEMPLATE: usize = 512;

/// A dotted path of object keys into an event: `"type"`, `"error.message"`. When a step meets
/// an array, [`FieldPath::text`] reads the rest of the path in each element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath(Vec<String>);

impl FieldPath {
    /// Checks a path: 1-8 non-empty keys joined by `.`.
    pub fn parse(path: &str) -> Result<FieldPath, String> {
        let steps: Vec<String> = path.split('.').map(str::to_string).collect();
        if path.len() > 256 || steps.len() > MAX_STEPS || steps.iter().any(|s| s.is_empty() || s.contains(['{', '}', '|'])) {
            return Err(format!("{:?} is not a field path: use 1-{MAX_STEPS} keys joined by . (e.g. \"error.message\")", crate::validate::truncate_for_message(path)));
        }
        Ok(FieldPath(steps))
    }

    /// The raw JSON text of the value at this path, through objects only.
    pub fn raw<'a>(&self, event: &Fields<'a>) -> Option<&'a str> {
        let (last, parents) = self.0.split_last()?;
        let mut nested: Option<Fields<'a>> = None;
        for step in parents {
            let next = jsonl::object_field(nested.as_deref().unwrap_or(event), step);
            nested = Some(next);
        }
        jsonl::raw_field(nested.as_deref().unwrap_or(event), last)
    }

    /// The value at this path as a person reads it: a string decoded, a number or boolean as
    /// written, an array as its elements' texts joined by `"; "` (for an array of objects, the
    /// rest of the path is read in each). `None` when absent, `null`, an object, or blank.
    pub fn text(&self, event: &Fields<'_>) -> Option<String> {
        let mut parts = Vec::new();
        collect_text(event, &self.0, &mut parts, 0);
        let joined = parts.join("; ");
        (!joined.trim().is_empty()).then_some(joined)
    }

    /// The value at this path as a finite number.
    pub fn number(&self, event: &Fields<'_>) -> Option<f64> {
        self.raw(event).and_then(crate::validate::parse_decimal).filter(|n| n.is_finite())
    }
}

/// Most elements of one array read into a text.
const MAX_ELEMENTS: usize = 64;

fn collect_text(fields: &Fields<'_>, steps: &[String], out: &mut Vec<String>, depth: usize) {
    let Some((first, rest)) = steps.split_first() else { return };
    let Some(raw) = jsonl::raw_field(fields, first) else { return };
    value_text(raw, rest, out, depth);
}

fn value_text(raw: &str, rest: &[String], out: &mut Vec<String>, depth: usize) {
    // Depth is bounded by the path length plus one array level per step.
    if depth > 2 * MAX_STEPS {
        return;
    }
    match raw.as_bytes().first() {
        Some(b'{') if !rest.is_empty() => {
            if let Some(f) = jsonl::object(raw) {
                collect_text(&f, rest, out, depth + 1);
            }
        }
        Some(b'[') => {
            for item in jsonl::array_objects(raw).into_iter().take(MAX_ELEMENTS) {
                value_text(item, rest, out, depth + 1);
            }
            if rest.is_empty() {
                out.extend(jsonl::array_strings(raw).into_iter().take(MAX_ELEMENTS).filter(|s| !s.trim().is_empty()));
            }
        }
        Some(b'"') if rest.is_empty() => {
            let s = jsonl::decode_string(raw);
            if !s.trim().is_empty() {
                out.push(s);
            }
        }
        Some(b'{') | Some(b'"') | None => {}
        Some(_) if rest.is_empty() && raw != "null" => out.push(raw.to_string()),
        Some(_) => {}
    }
}

/// What one selector field must hold.
#[derive(Debug, Clone, PartialEq)]
enum Test {
    /// One of these scalars (string, number, boolean or null), each with its JSON text: an
    /// event's value is compared as written first, decoded only when it holds an escape.
    AnyOf(Vec<(Value, String)>),
    /// `{"present": true}`: any value but `null`; `{"present": false}`: absent or `null`.
    Present(bool),
}

/// The `when` of a rule: an event matches when every listed field holds one of its values.
/// Written as an object from field path to a scalar, a list of scalars, or `{"present": bool}`:
/// `{ "type": ["turn.failed", "error"], "error.status": 429, "message": {"present": true} }`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMatch {
    tests: Vec<(FieldPath, Test)>,
}

impl EventMatch {
    /// Checks a selector; an error is `(the selector field that is wrong, or "", why)`.
    pub fn parse(data: &BTreeMap<String, Value>) -> Result<EventMatch, (String, String)> {
        if data.is_empty() {
            return Err((String::new(), "an empty selector would match every line: name at least one field".into()));
        }
        if data.len() > MAX_STEPS {
            return Err((String::new(), format!("at most {MAX_STEPS} fields")));
        }
        let mut tests = Vec::new();
        for (path, want) in data {
            let at = |why: String| (crate::validate::truncate_for_message(path), why);
            let field = FieldPath::parse(path).map_err(at)?;
            let test = match want {
                Value::Array(list) if !list.is_empty() && list.len() <= MAX_VALUES && list.iter().all(is_scalar) => {
                    Test::AnyOf(list.iter().map(encoded).collect())
                }
                Value::Object(o) if o.len() == 1 && o.get("present").is_some_and(Value::is_boolean) => {
                    Test::Present(o.get("present").and_then(Value::as_bool).unwrap_or(true))
                }
                v if is_scalar(v) => Test::AnyOf(vec![encoded(v)]),
                _ => {
                    return Err(at(format!(
                        "expected a string, number, boolean or null, a list of 1-{MAX_VALUES} of them, or {{\"present\": true|false}}"
                    )))
                }
            };
            tests.push((field, test));
        }
        // Top-level fields first: they cost a lookup, a nested one parses its object, and most
        // events fail on `type`.
        tests.sort_by_key(|(p, _)| p.0.len());
        Ok(EventMatch { tests })
    }

    /// Whether `event` holds every field this selector names.
    pub fn matches(&self, event: &Fields<'_>) -> bool {
        self.tests.iter().all(|(path, test)| {
            let raw = path.raw(event);
            match test {
                Test::Present(want) => raw.is_some_and(|r| r != "null") == *want,
                Test::AnyOf(values) => raw.is_some_and(|r| values.iter().any(|(v, json)| r == json || scalar_is(v, r))),
            }
        })
    }
}

fn encoded(v: &Value) -> (Value, String) {
    (v.clone(), v.to_string())
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null)
}

/// Whether the raw JSON text `raw` is the scalar `want` written another way (a string with
/// escapes, a number as `429.0`); the same text was compared before.
fn scalar_is(want: &Value, raw: &str) -> bool {
    match want {
        Value::String(s) => raw.starts_with('"') && raw.contains('\\') && jsonl::decode_string(raw) == *s,
        Value::Bool(_) | Value::Null => false,
        Value::Number(n) => n.as_f64().is_some_and(|n| crate::validate::parse_decimal(raw) == Some(n)),
        _ => false,
    }
}

/// One piece of a [`Template`].
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Lit(String),
    /// `{path}` (the template yields nothing when the field is absent or blank) or
    /// `{path|default}`.
    Field(FieldPath, Option<String>),
}

/// A text built from an event's fields: `"{error.name}: {error.data.message}"`,
/// `"api_retry {attempt|?}/{max_retries|?}: {error}"`. A `{path}` whose field is absent or
/// blank makes the whole template yield nothing (so a list of templates reads as "the first
/// that applies"), unless it gives a default after `|`. `{{` and `}}` are literal braces.
#[derive(Debug, Clone, PartialEq)]
pub struct Template(Vec<Piece>);

impl Template {
    /// Checks a template.
    pub fn parse(text: &str) -> Result<Template, String> {
        if text.len() > MAX_TEMPLATE || text.contains('\0') {
            return Err(format!("at most {MAX_TEMPLATE} bytes, no NUL"));
        }
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("{{") || rest.starts_with("}}") {
                lit.push(c);
                rest = rest.get(2..).unwrap_or("");
            } else if c == '{' {
                let end = rest.find('}').ok_or_else(|| format!("unclosed {{ in {text:?}"))?;
                let inner = rest.get(1..end).unwrap_or("");
                let (path, default) = match inner.split_once('|') {
                    Some((p, d)) => (p, Some(d.to_string())),
                    None => (inner, None),
                };
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                pieces.push(Piece::Field(FieldPath::parse(path)?, default));
                rest = rest.get(end + 1..).unwrap_or("");
            } else if c == '}' {
                return Err(format!("a lone }} in {text:?}: write }}}} for a brace"));
            } else {
                lit.push(c);
                rest = rest.get(c.len_utf8()..).unwrap_or("");
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        if pieces.is_empty() {
            return Err("an empty template".into());
        }
        Ok(Template(pieces))
    }

    /// The text for `event`, or `None` when a field without default is absent or blank.
    pub fn render(&self, event: &Fields<'_>) -> Option<String> {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Lit(s) => out.push_str(s),
                Piece::Field(path, default) => match (path.text(event), default) {
                    (Some(v), _) => out.push_str(&v),
                    (None, Some(d)) => out.push_str(d),
                    (None, None) => return None,
                },
            }
        }
        Some(out)
    }

    /// The first of `templates` that yields a non-blank text.
    pub fn first(templates: &[Template], event: &Fields<'_>) -> Option<String> {
        templates.iter().find_map(|t| t.render(event).filter(|s| !s.trim().is_empty()))
    }
}
