//! What a connection to NATS presents, and why it was refused: the servers of `--nats` with
//! the user and password (or token) written in their URLs, which the client does not read
//! from there itself; and a failed connection said with its likely fix.

use super::error::{ClusterError, Presented};
use async_nats::{ConnectError, ConnectErrorKind, ServerAddr};
use percent_encoding::percent_decode_str;
use std::path::Path;

/// Credentials written in a URL: `USER:PASSWORD@`, or `TOKEN@` (NATS's convention).
#[derive(Debug, Clone, PartialEq)]
pub enum Login {
    None,
    UserPassword { user: String, password: String },
    Token(String),
}

impl Login {
    pub fn presented(&self) -> Presented {
        match self {
            Login::None => Presented::None,
            Login::UserPassword { user, .. } => Presented::UserPassword { user: user.clone() },
            Login::Token(_) => Presented::Token,
        }
    }
}

/// The servers of `--nats`, with their credentials taken out.
pub struct Servers {
    pub addrs: Vec<ServerAddr>,
    /// The servers as messages show them: without credentials.
    pub shown: String,
    pub login: Login,
}

/// `url` with anything between the scheme and an `@` hidden: for messages about a URL that
/// could not be read.
fn hidden(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        (None, Some(at)) => format!("***{}", &url[at..]),
        _ => url.to_string(),
    }
}

fn decoded(part: &str, text: &str) -> Result<String, ClusterError> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|t| t.into_owned())
        .map_err(|_| ClusterError::BadUrl {
            url: hidden(part),
            error: "its credentials are not UTF-8 once percent-decoded".into(),
        })
}

/// Reads `--nats`: comma-separated URLs; the credentials of the ones that carry some must
/// be the same (one login for the whole NATS cluster).
pub fn servers(url: &str) -> Result<Servers, ClusterError> {
    let (mut addrs, mut shown, mut login) = (Vec::new(), Vec::new(), Login::None);
    for part in url.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = |error: String| ClusterError::BadUrl {
            url: hidden(part),
            error,
        };
        let addr: ServerAddr = part
            .parse()
            .map_err(|e: std::io::Error| bad(e.to_string()))?;
        let mut inner = addr.into_inner();
        let found = match (inner.username(), inner.password()) {
            ("", None) => Login::None,
            (token, None) => Login::Token(decoded(part, token)?),
            (user, Some(password)) => Login::UserPassword {
                user: decoded(part, user)?,
                password: decoded(part, password)?,
            },
        };
        if found != Login::None {
            if login != Login::None && login != found {
                return Err(bad(
                    "it names other credentials than the URL before it: one login serves \
                     every server"
                        .into(),
                ));
            }
            login = found;
        }
        // Setting these cannot fail on a URL that has a host, as every NATS URL has.
        let _ = inner.set_username("");
        let _ = inner.set_password(None);
        shown.push(inner.as_str().trim_end_matches('/').to_string());
        addrs.push(ServerAddr::from_url(inner).map_err(|e| bad(e.to_string()))?);
    }
    if addrs.is_empty() {
        return Err(ClusterError::BadUrl {
            url: url.to_string(),
            error: "it names no server".into(),
        });
    }
    Ok(Servers {
        addrs,
        shown: shown.join(","),
        login,
    })
}

/// A file a connection needs, checked before connecting so that a missing one is said as
/// such rather than as a failed handshake.
pub fn readable(path: &Path, what: &str) -> Result<(), ClusterError> {
    std::fs::File::open(path)
        .map(|_| ())
        .map_err(|error| ClusterError::Io {
            what: format!("read {what} {}", path.display()),
            error,
        })
}

/// The TLS error in a failed connection's causes, if one is there: the client reports a
/// failed handshake as an I/O error carrying it.
fn tls_cause(error: &ConnectError) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(e) = cause {
        if let Some(tls) = e.downcast_ref::<async_nats::rustls::Error>() {
            return Some(tls.to_string());
        }
        if let Some(tls) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<async_nats::rustls::Error>())
        {
            return Some(tls.to_string());
        }
        cause = e.source();
    }
    None
}

/// A failed connection, said for the person running the command.
pub fn refused(url: &str, presented: Presented, error: ConnectError) -> ClusterError {
    let url = url.to_string();
    if let ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication =
        error.kind()
    {
        return ClusterError::NotAuthorised { url, presented };
    }
    if let Some(tls) = tls_cause(&error) {
        return ClusterError::Tls { url, error: tls };
    }
    if error.kind() == ConnectErrorKind::Tls {
        return ClusterError::Tls {
            url,
            error: std::error::Error::source(&error)
                .map(|e| e.to_string())
                .unwrap_or_else(|| error.to_string()),
        };
    }
    ClusterError::Connect {
        url,
        error: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_out_of_the_urls_and_are_hidden_from_messages() {
        let s = servers("nats://ann:p%40ss@n1:4222, nats://ann:p%40ss@n2:4222").expect("read");
        assert_eq!(
            s.login,
            Login::UserPassword {
                user: "ann".into(),
                password: "p@ss".into()
            }
        );
        assert_eq!(s.shown, "nats://n1:4222,nats://n2:4222");
        assert_eq!(s.addrs.len(), 2);
        assert!(s.addrs.iter().all(|a| !a.has_user_pass()));

        let s = servers("tls://s3cret@n1:4222,n2").expect("read");
        assert_eq!(s.login, Login::Token("s3cret".into()));
        assert_eq!(s.shown, "tls://n1:4222,nats://n2");

        let s = servers("127.0.0.1:4222").expect("read");
        assert_eq!(s.login, Login::None);
    }

    #[test]
    fn unreadable_or_conflicting_urls_are_refused_without_showing_secrets() {
        let e = servers("nats://a:one@n1,nats://a:two@n2")
            .err()
            .expect("refused");
        assert!(matches!(e, ClusterError::BadUrl { .. }));
        assert!(!e.to_string().contains("two"), "{e}");
        let e = servers("http://a:secret@n1").err().expect("refused");
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(e.to_string().contains("http://***@n1"), "{e}");
        assert!(servers(" , ").is_err());
    }
}
