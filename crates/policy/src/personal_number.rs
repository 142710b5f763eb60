//! Swedish personal identity numbers (personnummer) and co-ordination numbers
//! (samordningsnummer). A [`PersonalNumber`] can only hold a valid number, and
//! never shows it in `Debug` output or error messages.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// The forms a personal number may be written in, as the contract's
/// pattern (date and check digit are checked beyond it). ASCII digits only.
pub const PERSONAL_NUMBER_PATTERN: &str = "^([0-9]{8}-?[0-9]{4}|[0-9]{6}[-+]?[0-9]{4})$";

/// A validated personal or co-ordination number, kept in the normalised
/// 12-digit form `YYYYMMDDNNNC`.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalNumber {
    normalised: String,
}

/// Why a personal number was refused. The messages never repeat the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalNumberError {
    /// Not one of `YYMMDD-NNNC`, `YYMMDD+NNNC`, `YYMMDDNNNC`, `YYYYMMDDNNNC`, `YYYYMMDD-NNNC`.
    Format,
    /// The date part is not a real date (co-ordination numbers add 60 to the day).
    Date,
    /// The Luhn check digit does not match.
    CheckDigit,
}

impl fmt::Display for PersonalNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PersonalNumberError::Format => {
                "personal number must have the form YYYYMMDD-NNNC, YYYYMMDDNNNC, YYMMDD-NNNC or YYMMDD+NNNC"
            }
            PersonalNumberError::Date => "personal number does not contain a valid date",
            PersonalNumberError::CheckDigit => "personal number check digit is wrong",
        })
    }
}

impl std::error::Error for PersonalNumberError {}

impl PersonalNumber {
    /// Parses and validates `input`. `today` decides the century of the
    /// 10-digit forms: `-` means younger than 100, `+` means 100 or older.
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, PersonalNumberError> {
        let (digits, separator) = split_separator(input)?;
        let full = match (digits.len(), separator) {
            (12, None | Some('-')) => digits,
            (10, _) => {
                let yy = two_digits(&digits[0..2]);
                let this_year = today.year();
                let mut year = this_year - this_year.rem_euclid(100) + yy;
                if year > this_year {
                    year -= 100;
                }
                if separator == Some('+') {
                    year -= 100;
                }
                format!("{year:04}{}", &digits[2..])
            }
            _ => return Err(PersonalNumberError::Format),
        };

        let year = two_digits(&full[0..2]) * 100 + two_digits(&full[2..4]);
        let month = two_digits(&full[4..6]) as u32;
        let mut day = two_digits(&full[6..8]) as u32;
        if day > 60 {
            day -= 60; // samordningsnummer
        }
        if NaiveDate::from_ymd_opt(year, month, day).is_none() {
            return Err(PersonalNumberError::Date);
        }
        if luhn_check_digit(&full[2..11]) != full.as_bytes()[11] - b'0' {
            return Err(PersonalNumberError::CheckDigit);
        }
        Ok(Self { normalised: full })
    }

    /// The 12-digit form `YYYYMMDDNNNC`, the input of the blind index.
    pub fn normalised(&self) -> &str {
        &self.normalised
    }

    /// True for a co-ordination number (day + 60).
    pub fn is_coordination_number(&self) -> bool {
        two_digits(&self.normalised[6..8]) > 60
    }
}

impl fmt::Debug for PersonalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalNumber(<redacted>)")
    }
}

/// Splits off the optional `-`/`+` separator and returns the ASCII digits.
fn split_separator(input: &str) -> Result<(String, Option<char>), PersonalNumberError> {
    let (digits, separator) = match input.find(['-', '+']) {
        None => (input.to_owned(), None),
        Some(at) => {
            let separator = input[at..].chars().next();
            let (head, tail) = (&input[..at], &input[at + 1..]);
            let allowed = matches!((head.len(), separator), (6, _) | (8, Some('-')));
            if !allowed || tail.len() != 4 {
                return Err(PersonalNumberError::Format);
            }
            (format!("{head}{tail}"), separator)
        }
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PersonalNumberError::Format);
    }
    Ok((digits, separator))
}

fn two_digits(s: &str) -> i32 {
    s.bytes().fold(0, |acc, b| acc * 10 + i32::from(b - b'0'))
}

/// The Luhn (mod 10) check digit over `digits`, doubling the first digit.
fn luhn_check_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            let weighted = if i % 2 == 0 { d * 2 } else { d };
            weighted / 10 + weighted % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn parse(s: &str) -> Result<PersonalNumber, PersonalNumberError> {
        PersonalNumber::parse(s, today())
    }

    #[test]
    fn reference_examples() {
        assert_eq!(parse("19121212-1212").unwrap().normalised(), "191212121212");
        assert_eq!(parse("19121212-1213"), Err(PersonalNumberError::CheckDigit));
        assert_eq!(parse("19900101-1239").unwrap().normalised(), "199001011239");
    }

    #[test]
    fn all_forms_normalise_alike() {
        for form in ["199001011239", "19900101-1239", "900101-1239", "9001011239"] {
            assert_eq!(parse(form).unwrap().normalised(), "199001011239", "{form}");
        }
        // '+' means 100 years or older.
        assert_eq!(parse("121212+1212").unwrap().normalised(), "191212121212");
        assert_eq!(parse("121212-1212").unwrap().normalised(), "201212121212");
    }

    #[test]
    fn century_from_today() {
        // 26 is this year: still 2026; 27 lies in the future, so 1927.
        let n = parse("261101-0000").map(|p| p.normalised()[0..4].to_owned());
        assert!(matches!(
            n.as_deref(),
            Ok("2026") | Err(PersonalNumberError::CheckDigit)
        ));
        let n = parse("270101-0000").map(|p| p.normalised()[0..4].to_owned());
        assert!(matches!(
            n.as_deref(),
            Ok("1927") | Err(PersonalNumberError::CheckDigit)
        ));
    }

    #[test]
    fn coordination_numbers_add_sixty_to_the_day() {
        let n = parse(&with_check("19121272123")).unwrap();
        assert!(n.is_coordination_number());
        assert_eq!(
            parse(&with_check("19121292123")),
            Err(PersonalNumberError::Date)
        );
    }

    #[test]
    fn dates_are_real_including_leap_years() {
        assert!(parse(&with_check("20000229123")).is_ok());
        assert_eq!(
            parse(&with_check("19000229123")),
            Err(PersonalNumberError::Date)
        );
        assert_eq!(
            parse(&with_check("19901301123")),
            Err(PersonalNumberError::Date)
        );
        assert_eq!(
            parse(&with_check("19900100123")),
            Err(PersonalNumberError::Date)
        );
    }

    #[test]
    fn bad_formats() {
        for bad in [
            "",
            "abc",
            "1990-01011239",
            "19900101+1239",
            "19900101--239",
            "900101-123",
            "9001011239x",
            "٣٣٣٣٣٣٣٣٣٣",
        ] {
            assert_eq!(parse(bad), Err(PersonalNumberError::Format), "{bad:?}");
        }
    }

    #[test]
    fn debug_and_errors_never_show_the_number() {
        let n = parse("19121212-1212").unwrap();
        assert!(!format!("{n:?}").contains("1212"));
        for e in [
            PersonalNumberError::Format,
            PersonalNumberError::Date,
            PersonalNumberError::CheckDigit,
        ] {
            assert!(!e.to_string().chars().any(|c| c.is_ascii_digit()));
        }
    }

    /// Appends the Luhn digit to the first eleven digits `YYYYMMDDNNN`.
    fn with_check(first_eleven: &str) -> String {
        let check = luhn_check_digit(&first_eleven[2..11]);
        format!("{first_eleven}{check}")
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = parse(&s);
        }

        #[test]
        fn exactly_one_check_digit_is_accepted(year in 1900i32..2026, ordinal in 1u32..365, serial in 0u32..1000) {
            let date = NaiveDate::from_yo_opt(year, ordinal).unwrap();
            let stem = format!("{}{serial:03}", date.format("%Y%m%d"));
            let accepted: Vec<u8> = (0..10u8)
                .filter(|d| parse(&format!("{stem}{d}")).is_ok())
                .collect();
            prop_assert_eq!(accepted.len(), 1);
        }
    }
}
