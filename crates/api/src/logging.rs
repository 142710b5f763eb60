//! Logs: one line per event, JSON in production (`INGANG_LOG_FORMAT=json`,
//! the default when `INGANG_ENV=production`) and readable text otherwise.
//! Structured fields (request id, route, status …) travel as `log`
//! key-values. What is logged: ids, route patterns, codes and timings —
//! never paths with query strings, bodies, names or personal numbers.

use log::kv::{Error, Key, Value, VisitSource};
use std::io::Write;

/// Installs the logger. `RUST_LOG` sets the level (default `info`).
pub fn init() {
    let json = match std::env::var("INGANG_LOG_FORMAT").ok().as_deref() {
        Some("json") => true,
        Some("text") => false,
        _ => std::env::var("INGANG_ENV").is_ok_and(|v| v == "production"),
    };
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if json {
        builder.format(|buf, record| {
            let line = json_line(&buf.timestamp_micros().to_string(), record);
            writeln!(buf, "{line}")
        });
    } else {
        builder.format(|buf, record| {
            let mut fields = TextFields(String::new());
            let _ = record.key_values().visit(&mut fields);
            writeln!(
                buf,
                "[{} {} {}] {}{}",
                buf.timestamp_micros(),
                record.level(),
                record.target(),
                record.args(),
                fields.0
            )
        });
    }
    // A second init (tests start several servers) keeps the first logger.
    let _ = builder.try_init();
}

/// One JSON object: `ts`, `level`, `target`, `msg`, then every key-value.
pub fn json_line(timestamp: &str, record: &log::Record<'_>) -> String {
    let mut object = serde_json::Map::new();
    object.insert("ts".into(), timestamp.into());
    object.insert("level".into(), record.level().as_str().into());
    object.insert("target".into(), record.target().into());
    object.insert("msg".into(), record.args().to_string().into());
    let mut fields = JsonFields(&mut object);
    let _ = record.key_values().visit(&mut fields);
    serde_json::Value::Object(object).to_string()
}

struct JsonFields<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl<'kvs> VisitSource<'kvs> for JsonFields<'_> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), Error> {
        let json = if let Some(n) = value.to_u64() {
            n.into()
        } else if let Some(n) = value.to_i64() {
            n.into()
        } else if let Some(b) = value.to_bool() {
            b.into()
        } else {
            value.to_string().into()
        };
        self.0.insert(key.as_str().to_owned(), json);
        Ok(())
    }
}

struct TextFields(String);

impl<'kvs> VisitSource<'kvs> for TextFields {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), Error> {
        self.0.push_str(&format!(" {key}={value}"));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_carry_the_fields() {
        let fields: [(&str, Value<'_>); 3] = [
            ("request_id", Value::from("7f0c")),
            ("status", Value::from(403u16)),
            ("route", Value::from("/v1/records/{id}")),
        ];
        let line = json_line(
            "2026-11-22T12:00:00.000000Z",
            &log::Record::builder()
                .level(log::Level::Info)
                .target("ingang::access")
                .args(format_args!("request \"done\""))
                .key_values(&fields)
                .build(),
        );
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["msg"], "request \"done\"");
        assert_eq!(parsed["status"], 403);
        assert_eq!(parsed["request_id"], "7f0c");
        assert_eq!(parsed["route"], "/v1/records/{id}");
        assert_eq!(parsed["level"], "INFO");
    }
}
