//! C2SP tlog-checkpoint: the origin, the tree size in decimal, and the
//! RFC 9162 root hash in standard base64, one per line.

use crate::note::NoteError;
use crate::tree::Hash;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The checkpoint as a note's text.
    pub fn to_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        )
    }

    /// Parses a checkpoint from a note's text. Extension lines are refused:
    /// ingång writes none.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(NoteError::MalformedNote("a checkpoint ends in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        let size = lines
            .next()
            .ok_or(NoteError::MalformedNote("a checkpoint has a size line"))?;
        let root = lines.next().ok_or(NoteError::MalformedNote(
            "a checkpoint has a root hash line",
        ))?;
        if lines.next().is_some() {
            return Err(NoteError::MalformedNote("a checkpoint has three lines"));
        }
        if origin.is_empty() || origin.chars().any(char::is_whitespace) {
            return Err(NoteError::MalformedNote(
                "the origin is empty or has a space",
            ));
        }
        let canonical =
            size == "0" || (!size.starts_with('0') && size.bytes().all(|b| b.is_ascii_digit()));
        let size: u64 = match size.parse() {
            Ok(n) if canonical => n,
            Ok(_) | Err(_) => {
                return Err(NoteError::MalformedNote(
                    "the tree size is a decimal number without leading zeros",
                ))
            }
        };
        let root = Hash::from_base64(root).ok_or(NoteError::MalformedNote(
            "the root hash is 32 bytes in standard base64",
        ))?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_leading_zeros() {
        let c = Checkpoint {
            origin: "ingang.example.se/audit".into(),
            size: 42,
            root: crate::tree::empty_root(),
        };
        assert_eq!(Checkpoint::parse(&c.to_text()).unwrap(), c);
        let text = c.to_text().replace("\n42\n", "\n042\n");
        assert!(Checkpoint::parse(&text).is_err());
        assert!(Checkpoint::parse("o\n+1\nAAAA\n").is_err());
    }
}
