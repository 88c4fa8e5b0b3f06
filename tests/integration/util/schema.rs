//! A validator for the subset of JSON Schema that docs/summary.schema.json
//! uses (type, required, properties, additionalProperties: false, const,
//! minimum, exclusiveMinimum, minLength, format: date-time), so every JSON
//! summary a test produces can be checked against the published schema.
//! A keyword it does not know fails the test rather than being skipped.

use serde_json::Value;

/// The published schema of one JSON summary.
pub fn summary_schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/summary.schema.json");
    let text = std::fs::read_to_string(path).expect("read docs/summary.schema.json");
    serde_json::from_str(&text).expect("the schema is JSON")
}

/// Panics unless `line` is one JSON object valid against the summary schema.
pub fn assert_valid_summary(line: &str) {
    let value: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("summary is not JSON ({e}): {line}"));
    if let Err(why) = validate(&summary_schema(), &value, "") {
        panic!("summary does not match docs/summary.schema.json: {why}\n{line}");
    }
}

/// Checks every line of `output` that is a JSON object with the summary
/// marker; returns how many there were.
pub fn assert_valid_summaries(output: &str) -> usize {
    let mut n = 0;
    for line in output.lines() {
        let is_summary = serde_json::from_str::<Value>(line)
            .ok()
            .is_some_and(|v| v.get("logdedup").is_some());
        if is_summary {
            assert_valid_summary(line);
            n += 1;
        }
    }
    n
}

fn type_matches(name: &str, v: &Value) -> bool {
    match name {
        "object" => v.is_object(),
        "string" => v.is_string(),
        "null" => v.is_null(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        other => panic!("schema type {other:?} not supported by the test validator"),
    }
}

/// Validates `v` against `schema`; `at` is the path for messages.
pub fn validate(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let schema = schema.as_object().expect("a schema is an object");
    for (keyword, arg) in schema {
        match keyword.as_str() {
            "$schema" | "$id" | "title" | "description" | "properties" => {}
            "type" => {
                let ok = match arg {
                    Value::String(t) => type_matches(t, v),
                    Value::Array(ts) => ts
                        .iter()
                        .any(|t| type_matches(t.as_str().expect("type name"), v)),
                    _ => panic!("bad type keyword"),
                };
                if !ok {
                    return Err(format!("{at}: {v} is not of type {arg}"));
                }
            }
            "required" => {
                for name in arg.as_array().expect("required is an array") {
                    let name = name.as_str().expect("required names are strings");
                    if v.get(name).is_none() {
                        return Err(format!("{at}: missing required field {name:?}"));
                    }
                }
            }
            "additionalProperties" => {
                assert_eq!(arg, &Value::Bool(false), "only additionalProperties: false");
                let known = schema["properties"].as_object().expect("properties");
                if let Some(obj) = v.as_object() {
                    if let Some(extra) = obj.keys().find(|k| !known.contains_key(*k)) {
                        return Err(format!("{at}: field {extra:?} is not in the schema"));
                    }
                }
            }
            "const" => {
                if v != arg {
                    return Err(format!("{at}: {v} is not {arg}"));
                }
            }
            "minimum" => {
                if v.as_f64()
                    .is_some_and(|x| x < arg.as_f64().expect("number"))
                {
                    return Err(format!("{at}: {v} < {arg}"));
                }
            }
            "exclusiveMinimum" => {
                if v.as_f64()
                    .is_some_and(|x| x <= arg.as_f64().expect("number"))
                {
                    return Err(format!("{at}: {v} <= {arg}"));
                }
            }
            "minLength" => {
                let min = arg.as_u64().expect("minLength") as usize;
                if v.as_str().is_some_and(|s| s.chars().count() < min) {
                    return Err(format!("{at}: {v} shorter than {min}"));
                }
            }
            "format" => {
                assert_eq!(arg, "date-time", "only format date-time");
                if let Some(s) = v.as_str() {
                    chrono::DateTime::parse_from_rfc3339(s)
                        .map_err(|e| format!("{at}: {s:?} is not RFC 3339: {e}"))?;
                }
            }
            other => panic!("schema keyword {other:?} not supported by the test validator"),
        }
    }
    if let (Some(props), Some(obj)) = (schema.get("properties"), v.as_object()) {
        for (name, sub) in props.as_object().expect("properties is an object") {
            if let Some(field) = obj.get(name) {
                validate(sub, field, &format!("{at}/{name}"))?;
            }
        }
    }
    Ok(())
}
