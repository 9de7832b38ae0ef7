//! Roles from bearer tokens: **public** (no token) sees aggregates only; **officer** sees
//! pupil-level data with pseudonymous ids.
//!
//! Officer tokens come from the server's start-up token, the environment variable
//! [`TOKENS_ENV`] (comma-separated) and the file named by [`TOKEN_FILE_ENV`] (one token a
//! line, `#` comments). Tokens are compared in constant time (every byte of every token
//! is looked at whatever the input). Tokens are never logged.

use std::path::Path;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::serve::error::ApiError;
use crate::serve::state::AppState;

/// Environment variable holding officer tokens, comma-separated.
pub const TOKENS_ENV: &str = "NEARHOME_OFFICER_TOKENS";
/// Environment variable naming a file of officer tokens, one a line.
pub const TOKEN_FILE_ENV: &str = "NEARHOME_TOKEN_FILE";
/// Shortest token accepted from configuration, characters.
pub const MIN_TOKEN_LEN: usize = 16;

/// What a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Aggregates only, with small counts suppressed.
    Public,
    /// Pupil-level data (pseudonymous ids, home-to-school journeys).
    Officer,
}

/// The caller of a request: its role and whether it presented a token at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The role granted.
    pub role: Role,
    /// True when an `Authorization` header was present.
    pub presented_token: bool,
}

impl Role {
    /// The audience of the views this role may see.
    pub fn audience(self) -> crate::output::disclosure::Audience {
        match self {
            Role::Officer => crate::output::disclosure::Audience::Internal,
            Role::Public => crate::output::disclosure::Audience::Public,
        }
    }
}

impl Caller {
    /// The audience of this caller's views.
    pub fn audience(&self) -> crate::output::disclosure::Audience {
        self.role.audience()
    }

    /// True for officers.
    pub fn is_officer(&self) -> bool {
        self.role == Role::Officer
    }

    /// Refuse non-officers: 401 without a token, 403 with a token that is not an officer's.
    pub fn require_officer(&self) -> Result<(), ApiError> {
        match (self.role, self.presented_token) {
            (Role::Officer, _) => Ok(()),
            (Role::Public, false) => Err(ApiError::Unauthorized(
                "this endpoint shows pupil-level data: send an officer token as \
                 `Authorization: Bearer <token>`"
                    .into(),
            )),
            (Role::Public, true) => Err(ApiError::Forbidden(
                "the token given does not grant pupil-level data".into(),
            )),
        }
    }
}

/// The configured officer tokens.
#[derive(Clone, Default)]
pub struct Auth {
    tokens: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Auth {{ {} officer token(s) }}", self.tokens.len())
    }
}

/// Why the token configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A configured token is too short.
    #[error(
        "{source_name}: officer token number {number} is shorter than {MIN_TOKEN_LEN} characters"
    )]
    TooShort {
        /// Where it came from (variable or file name).
        source_name: String,
        /// 1-based position.
        number: usize,
    },
    /// The token file could not be read.
    #[error("token file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No randomness for a generated token.
    #[error("could not read /dev/urandom for a token: {0}")]
    Random(std::io::Error),
}

impl Auth {
    /// Officer tokens given directly; blank ones are ignored.
    pub fn new<I, S>(tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Auth {
            tokens: tokens
                .into_iter()
                .map(|t| t.as_ref().trim().as_bytes().to_vec())
                .filter(|t| !t.is_empty())
                .collect(),
        }
    }

    /// Add tokens from [`TOKENS_ENV`] and the file named by [`TOKEN_FILE_ENV`].
    ///
    /// # Errors
    /// A token shorter than [`MIN_TOKEN_LEN`], or an unreadable token file.
    pub fn with_env(mut self) -> Result<Self, AuthError> {
        if let Ok(list) = std::env::var(TOKENS_ENV) {
            self.add_list(TOKENS_ENV, list.split(','))?;
        }
        if let Ok(path) = std::env::var(TOKEN_FILE_ENV) {
            self = self.with_file(Path::new(&path))?;
        }
        Ok(self)
    }

    /// Add tokens from a file: one a line, blank lines and `#` comments skipped.
    ///
    /// # Errors
    /// A token shorter than [`MIN_TOKEN_LEN`], or an unreadable file.
    pub fn with_file(mut self, path: &Path) -> Result<Self, AuthError> {
        let text = std::fs::read_to_string(path).map_err(|source| AuthError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let lines = text.lines().map(str::trim).filter(|l| !l.starts_with('#'));
        self.add_list(&path.display().to_string(), lines)?;
        Ok(self)
    }

    fn add_list<'a>(
        &mut self,
        source_name: &str,
        list: impl Iterator<Item = &'a str>,
    ) -> Result<(), AuthError> {
        for (i, t) in list.map(str::trim).filter(|t| !t.is_empty()).enumerate() {
            if t.len() < MIN_TOKEN_LEN {
                return Err(AuthError::TooShort {
                    source_name: source_name.to_string(),
                    number: i + 1,
                });
            }
            self.tokens.push(t.as_bytes().to_vec());
        }
        Ok(())
    }

    /// Number of officer tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// True when no officer token is configured (then nobody is an officer).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The role a presented token grants (constant time over every configured token).
    pub fn role_of(&self, presented: &[u8]) -> Role {
        let mut any = 0u8;
        for t in &self.tokens {
            any |= u8::from(ct_eq(t, presented));
        }
        if any == 1 && !presented.is_empty() {
            Role::Officer
        } else {
            Role::Public
        }
    }

    /// The caller from an `Authorization` header value, if any.
    pub fn caller(&self, header: Option<&[u8]>) -> Caller {
        let Some(h) = header else {
            return Caller {
                role: Role::Public,
                presented_token: false,
            };
        };
        let token = h
            .strip_prefix(b"Bearer ")
            .or_else(|| h.strip_prefix(b"bearer "))
            .map(<[u8]>::trim_ascii)
            .unwrap_or(&[]);
        Caller {
            role: self.role_of(token),
            presented_token: true,
        }
    }
}

/// Constant-time equality: the time depends on the lengths only, not on where they differ.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().max(b.len());
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// A fresh random officer token (32 hex characters from `/dev/urandom`).
///
/// # Errors
/// When `/dev/urandom` cannot be read.
pub fn generate_token() -> Result<String, AuthError> {
    use std::io::Read;
    let mut buf = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(AuthError::Random)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(AUTHORIZATION).map(|v| v.as_bytes());
        Ok(state.auth().caller(header))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123";

    #[test]
    fn no_header_is_public_without_token() {
        let auth = Auth::new([TOKEN]);
        let c = auth.caller(None);
        assert_eq!(c.role, Role::Public);
        assert!(!c.presented_token);
        assert_eq!(
            c.require_officer().map_err(|e| e.status().as_u16()),
            Err(401)
        );
    }

    #[test]
    fn right_token_is_officer_wrong_is_forbidden() {
        let auth = Auth::new([TOKEN]);
        let ok = auth.caller(Some(format!("Bearer {TOKEN}").as_bytes()));
        assert_eq!(ok.role, Role::Officer);
        assert!(ok.require_officer().is_ok());
        let wrong = auth.caller(Some(b"Bearer 0123456789abcdef0124"));
        assert_eq!(wrong.role, Role::Public);
        assert_eq!(
            wrong.require_officer().map_err(|e| e.status().as_u16()),
            Err(403)
        );
        let prefix = auth.caller(Some(b"Bearer 0123456789abcdef012"));
        assert_eq!(prefix.role, Role::Public);
        let basic = auth.caller(Some(format!("Basic {TOKEN}").as_bytes()));
        assert_eq!(basic.role, Role::Public);
    }

    #[test]
    fn empty_tokens_never_match() {
        let auth = Auth::new(["", "  "]);
        assert!(auth.is_empty());
        assert_eq!(auth.caller(Some(b"Bearer ")).role, Role::Public);
        assert_eq!(auth.role_of(b""), Role::Public);
    }

    #[test]
    fn ct_eq_matches_eq() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
        assert!(!ct_eq(b"", b"a"));
        assert!(ct_eq(b"", b""));
    }

    #[test]
    fn token_file_skips_comments_and_refuses_short_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tokens");
        std::fs::write(&p, format!("# officers\n{TOKEN}\n\n")).unwrap();
        let auth = Auth::default().with_file(&p).unwrap();
        assert_eq!(auth.len(), 1);
        assert_eq!(auth.role_of(TOKEN.as_bytes()), Role::Officer);
        std::fs::write(&p, "short\n").unwrap();
        assert!(matches!(
            Auth::default().with_file(&p),
            Err(AuthError::TooShort { number: 1, .. })
        ));
    }

    #[test]
    fn generated_tokens_are_long_and_distinct() {
        let a = generate_token().unwrap();
        let b = generate_token().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
