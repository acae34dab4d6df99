//! Typing of plain YAML scalars by the YAML 1.2 core schema, into JSON values.

use serde_json::Number;

/// What a plain scalar means.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Typed {
    Null,
    Bool(bool),
    Number(Number),
    /// Not a null, bool or number: the text is a string.
    String,
}

/// Why a scalar that looks like a number cannot be a JSON number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NumberError {
    /// An integer that does not fit in 64 bits.
    OutOfRange,
    /// `.inf` or `.nan`, which JSON has no way to write.
    NotFinite,
}

/// Types a plain scalar by the core schema.
pub(crate) fn type_plain(text: &str) -> Result<Typed, NumberError> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Typed::Null),
        "true" | "True" | "TRUE" => return Ok(Typed::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Typed::Bool(false)),
        _ => {}
    }
    if let Some(number) = type_integer(text) {
        return number.map(Typed::Number);
    }
    if let Some(number) = type_float(text) {
        return number.map(Typed::Number);
    }
    Ok(Typed::String)
}

/// `Some` when the text is a core-schema integer (decimal, `0o`, `0x`).
pub(crate) fn type_integer(text: &str) -> Option<Result<Number, NumberError>> {
    if let Some(octal) = text.strip_prefix("0o") {
        if !octal.is_empty() && octal.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return Some(
                u64::from_str_radix(octal, 8)
                    .map(Number::from)
                    .map_err(|_| NumberError::OutOfRange),
            );
        }
        return None;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(
                u64::from_str_radix(hex, 16).map(Number::from).map_err(|_| NumberError::OutOfRange),
            );
        }
        return None;
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    if let Ok(value) = unsigned.parse::<i64>() {
        return Some(Ok(Number::from(value)));
    }
    if let Ok(value) = unsigned.parse::<u64>() {
        return Some(Ok(Number::from(value)));
    }
    Some(Err(NumberError::OutOfRange))
}

/// `Some` when the text is a core-schema float.
pub(crate) fn type_float(text: &str) -> Option<Result<Number, NumberError>> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(Err(NumberError::NotFinite));
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match fraction {
        // `.5`, `5.`, `5.5`
        Some(fraction) => {
            all_digits(whole) && all_digits(fraction) && !(whole.is_empty() && fraction.is_empty())
        }
        None => !whole.is_empty() && all_digits(whole),
    };
    let exponent_ok = exponent.is_none_or(|exponent| {
        let digits = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
        !digits.is_empty() && all_digits(digits)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    // Rewrite into JSON's number grammar: no `+`, digits on both sides of the point.
    let sign = if text.starts_with('-') { "-" } else { "" };
    let whole = if whole.is_empty() { "0" } else { whole };
    let fraction = fraction.map(|fraction| if fraction.is_empty() { "0" } else { fraction });
    let mut json = format!("{sign}{whole}");
    if let Some(fraction) = fraction {
        json.push('.');
        json.push_str(fraction);
    }
    if let Some(exponent) = exponent {
        json.push('e');
        json.push_str(exponent);
    }
    // Rust's float parser rounds correctly (serde_json's default one may be off by one unit in
    // the last place), so the shortest text of a float always reads back as the same float.
    Some(json.parse::<f64>().ok().and_then(Number::from_f64).ok_or(NumberError::NotFinite))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> String {
        match type_plain(text) {
            Ok(Typed::Number(number)) => number.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn core_schema() {
        assert_eq!(type_plain("~"), Ok(Typed::Null));
        assert_eq!(type_plain(""), Ok(Typed::Null));
        assert_eq!(type_plain("True"), Ok(Typed::Bool(true)));
        assert_eq!(type_plain("yes"), Ok(Typed::String));
        assert_eq!(type_plain("2024-01-01"), Ok(Typed::String));
        assert_eq!(type_plain("1.2.3"), Ok(Typed::String));
        assert_eq!(type_plain("0x"), Ok(Typed::String));
        assert_eq!(number("42"), "42");
        assert_eq!(number("+42"), "42");
        assert_eq!(number("-7"), "-7");
        assert_eq!(number("007"), "7");
        assert_eq!(number("0o17"), "15");
        assert_eq!(number("0x1F"), "31");
        assert_eq!(number("18446744073709551615"), "18446744073709551615");
        assert_eq!(type_plain("18446744073709551616"), Err(NumberError::OutOfRange));
        assert_eq!(number("1.5"), "1.5");
        assert_eq!(number(".5"), "0.5");
        assert_eq!(number("-.5"), "-0.5");
        assert_eq!(number("5."), "5.0");
        assert_eq!(number("1e3"), "1000.0");
        assert_eq!(type_plain(".inf"), Err(NumberError::NotFinite));
        assert_eq!(type_plain("-.Inf"), Err(NumberError::NotFinite));
        assert_eq!(type_plain(".nan"), Err(NumberError::NotFinite));
        assert_eq!(type_plain("1e999"), Err(NumberError::NotFinite));
        assert_eq!(type_plain("."), Ok(Typed::String));
        assert_eq!(type_plain("e5"), Ok(Typed::String));
    }
}
