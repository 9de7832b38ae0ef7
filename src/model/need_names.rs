//! Need names as councils write them: the SEN2 codes, the DfE descriptions of the types of
//! need ("Autistic Spectrum Disorder", "Social, Emotional and Mental Health", ...) and
//! their common variants ("Autism", "ASC", "SLCN", "Moderate Learning Difficulties"), read
//! into [`Need`].
//!
//! Matching ignores case, punctuation (commas, slashes, hyphens, brackets), extra spaces,
//! `&`, `and` and `or`, and the plural of *difficulty*, *disability*, *need* and
//! *impairment*: "Social Emotional & Mental Health" and "social, emotional and mental
//! health" are the same name. The school census's NSA ("SEN support but no specialist
//! assessment of type of need") is recognised but is not a [`Need`]: no EHC plan has it.
//! Every accepted name is listed in `docs/data.md`.

use crate::model::{Need, UnknownCode};

/// What a need text names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeedName {
    /// An SEN2 primary type of need of an EHC plan.
    Need(Need),
    /// NSA, "SEN support but no specialist assessment of type of need": a school census
    /// category for pupils on SEN support, never the primary need of an EHC plan.
    NoSpecialistAssessment,
}

/// The names of NSA besides its code, as [`normalise`]d.
const NSA_NAMES: [&str; 2] = [
    "nsa",
    "sen support but no specialist assessment of type of need",
];

/// The names accepted for each need besides its code, as written in `docs/data.md`. The
/// first is the DfE description.
fn names(need: Need) -> &'static [&'static str] {
    match need {
        Need::Asd => &[
            "Autistic Spectrum Disorder",
            "Autism Spectrum Disorder",
            "Autism",
            "ASC",
            "Autistic Spectrum Condition",
            "Autism Spectrum Condition",
        ],
        Need::Slcn => &["Speech, Language and Communication Needs"],
        Need::Semh => &["Social, Emotional and Mental Health"],
        Need::Mld => &["Moderate Learning Difficulty"],
        Need::Sld => &["Severe Learning Difficulty"],
        Need::Pmld => &["Profound & Multiple Learning Difficulty"],
        Need::Spld => &["Specific Learning Difficulty"],
        Need::Hi => &["Hearing Impairment"],
        Need::Vi => &["Visual Impairment", "Vision Impairment"],
        Need::Msi => &["Multi-Sensory Impairment", "Multisensory Impairment"],
        Need::Pd => &["Physical Disability"],
        Need::Oth => &["Other Difficulty/Disability", "Other"],
    }
}

impl Need {
    /// The DfE description of the need, e.g. `"Autistic Spectrum Disorder"`.
    ///
    /// # Examples
    /// ```
    /// use nearhome::model::Need;
    /// assert_eq!(Need::Semh.description(), "Social, Emotional and Mental Health");
    /// ```
    pub fn description(self) -> &'static str {
        names(self).first().copied().unwrap_or(self.code())
    }

    /// Every name accepted for the need besides its code (the description first).
    pub fn names(self) -> &'static [&'static str] {
        names(self)
    }

    /// Reads a need as councils write it: the SEN2 code or a DfE description or variant (see
    /// the module docs). NSA and anything else are an [`UnknownCode`] whose `value` is the
    /// trimmed text.
    ///
    /// # Examples
    /// ```
    /// use nearhome::model::Need;
    /// assert_eq!(Need::from_name("Autism"), Ok(Need::Asd));
    /// assert_eq!(Need::from_name("social emotional & mental health"), Ok(Need::Semh));
    /// assert!(Need::from_name("NSA").is_err());
    /// assert!(Need::from_name("Autsim").is_err());
    /// ```
    pub fn from_name(text: &str) -> Result<Need, UnknownCode> {
        match NeedName::lookup(text) {
            Some(NeedName::Need(n)) => Ok(n),
            _ => Err(unknown_need(text)),
        }
    }
}

impl NeedName {
    /// What `text` names, or `None` when it is no accepted code or name.
    pub fn lookup(text: &str) -> Option<NeedName> {
        let key = normalise(text);
        if key.is_empty() {
            return None;
        }
        if NSA_NAMES.contains(&key.as_str()) {
            return Some(NeedName::NoSpecialistAssessment);
        }
        Need::ALL
            .into_iter()
            .find(|&n| {
                normalise(n.code()) == key || names(n).iter().any(|name| normalise(name) == key)
            })
            .map(NeedName::Need)
    }

    /// [`NeedName::lookup`], or an [`UnknownCode`] whose `value` is the trimmed text.
    pub fn parse(text: &str) -> Result<NeedName, UnknownCode> {
        NeedName::lookup(text).ok_or_else(|| unknown_need(text))
    }
}

/// The error for a text that names no need of an EHC plan: `value` is the trimmed text,
/// `allowed` says what is accepted.
pub fn unknown_need(text: &str) -> UnknownCode {
    UnknownCode {
        what: "need",
        value: text.trim().to_string(),
        allowed: format!(
            "SEN2 codes {} or their DfE names, e.g. Autistic Spectrum Disorder, as listed \
             in docs/data.md; not NSA, which is SEN support without an EHC plan",
            Need::allowed_codes()
        ),
    }
}

/// The matching key of a name: lower case words, punctuation and `&` as spaces, `and` and
/// `or` dropped, plurals of a few nouns made singular, one space between words.
fn normalise(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    spaced
        .split_whitespace()
        .filter(|w| !matches!(*w, "and" | "or"))
        .map(singular)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The singular of the plurals that occur in need names.
fn singular(word: &str) -> &str {
    match word {
        "difficulties" => "difficulty",
        "disabilities" => "disability",
        "needs" => "need",
        "impairments" => "impairment",
        w => w,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parsing_a_need_accepts_codes_and_names() {
        assert_eq!("asd".parse::<Need>(), Ok(Need::Asd));
        assert_eq!(
            " Social, Emotional and Mental Health ".parse::<Need>(),
            Ok(Need::Semh)
        );
        let e = "Autsim".parse::<Need>().expect_err("a misspelling");
        assert_eq!(e.value, "Autsim");
        assert!("NSA".parse::<Need>().is_err());
    }

    use super::*;

    #[test]
    fn the_dfe_descriptions_name_their_codes() {
        let dfe = [
            ("Autistic Spectrum Disorder", Need::Asd),
            ("Social, Emotional and Mental Health", Need::Semh),
            ("Speech, Language and Communication Needs", Need::Slcn),
            ("Moderate Learning Difficulty", Need::Mld),
            ("Severe Learning Difficulty", Need::Sld),
            ("Profound & Multiple Learning Difficulty", Need::Pmld),
            ("Specific Learning Difficulty", Need::Spld),
            ("Hearing Impairment", Need::Hi),
            ("Visual Impairment", Need::Vi),
            ("Multi-Sensory Impairment", Need::Msi),
            ("Physical Disability", Need::Pd),
            ("Other Difficulty/Disability", Need::Oth),
        ];
        for (name, need) in dfe {
            assert_eq!(Need::from_name(name), Ok(need), "{name}");
            assert_eq!(need.description(), name);
        }
        assert_eq!(
            NeedName::lookup("SEN support but no specialist assessment of type of need"),
            Some(NeedName::NoSpecialistAssessment)
        );
    }

    #[test]
    fn codes_and_common_variants_are_accepted() {
        let variants = [
            ("asd", Need::Asd),
            (" SpLD ", Need::Spld),
            ("Autism", Need::Asd),
            ("ASC", Need::Asd),
            ("Autistic Spectrum Condition", Need::Asd),
            ("AUTISTIC  SPECTRUM   DISORDER", Need::Asd),
            ("Social Emotional and Mental Health", Need::Semh),
            ("Social, Emotional & Mental Health", Need::Semh),
            ("social emotional mental health", Need::Semh),
            ("SLCN", Need::Slcn),
            ("Speech Language & Communication Need", Need::Slcn),
            ("MLD", Need::Mld),
            ("Moderate Learning Difficulties", Need::Mld),
            ("PMLD", Need::Pmld),
            ("Profound and Multiple Learning Difficulties", Need::Pmld),
            ("Multi Sensory Impairment", Need::Msi),
            ("multi-sensory-impairment", Need::Msi),
            ("Vision Impairment", Need::Vi),
            ("Other difficulty or disability", Need::Oth),
            ("OTH", Need::Oth),
        ];
        for (name, need) in variants {
            assert_eq!(Need::from_name(name), Ok(need), "{name:?}");
        }
    }

    #[test]
    fn every_listed_name_is_unambiguous() {
        let mut seen: Vec<(String, Need)> = Vec::new();
        for need in Need::ALL {
            for name in std::iter::once(need.code()).chain(need.names().iter().copied()) {
                let key = normalise(name);
                assert!(!key.is_empty(), "{name}");
                assert!(!NSA_NAMES.contains(&key.as_str()), "{name} is NSA");
                if let Some((_, other)) = seen.iter().find(|(k, _)| *k == key) {
                    panic!("{name} names both {other} and {need}");
                }
                seen.push((key, need));
            }
        }
    }

    #[test]
    fn unknown_names_and_nsa_are_errors_naming_the_text() {
        let err = Need::from_name(" Autsim ").unwrap_err();
        assert_eq!(err.what, "need");
        assert_eq!(err.value, "Autsim");
        assert!(err.allowed.contains("ASD, SLCN"), "{}", err.allowed);
        assert!(err
            .to_string()
            .starts_with("unknown need \"Autsim\" (allowed: SEN2 codes ASD, SLCN,"));
        let nsa = Need::from_name("NSA").unwrap_err();
        assert_eq!(nsa.value, "NSA");
        assert!(nsa.allowed.contains("not NSA"), "{}", nsa.allowed);
        for blank_or_filler in ["", "  ", "and", "&", "-"] {
            assert!(
                Need::from_name(blank_or_filler).is_err(),
                "{blank_or_filler:?}"
            );
        }
        assert!(
            Need::from_name("Learning Difficulty").is_err(),
            "which one?"
        );
    }
}
