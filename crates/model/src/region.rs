//! integrator.io data centers.

use std::fmt;
use std::str::FromStr;

/// An integrator.io data center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    /// North America: `https://api.integrator.io`.
    Na,
    /// Europe: `https://api.eu.integrator.io`.
    Eu,
}

impl Region {
    /// The API origin of the region.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Na => "https://api.integrator.io",
            Region::Eu => "https://api.eu.integrator.io",
        }
    }

    /// `na` or `eu`.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Na => "na",
            Region::Eu => "eu",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A region name that is not `na` or `eu`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown region `{0}`; expected `na` or `eu`")]
pub struct RegionError(pub String);

impl FromStr for Region {
    type Err = RegionError;

    /// `na` or `eu`, in any case; `us` is taken for `na`.
    fn from_str(text: &str) -> Result<Region, RegionError> {
        match text.to_ascii_lowercase().as_str() {
            "na" | "us" => Ok(Region::Na),
            "eu" => Ok(Region::Eu),
            _ => Err(RegionError(text.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_any_case() {
        assert_eq!("EU".parse::<Region>(), Ok(Region::Eu));
        assert_eq!("us".parse::<Region>(), Ok(Region::Na));
        assert_eq!("mars".parse::<Region>(), Err(RegionError("mars".to_owned())));
        assert_eq!(Region::Eu.to_string(), "eu");
    }
}
