//! How `nurture cluster` and `nurture worker` reach a NATS server that asks for more than a
//! plain connection (docs/cluster.md, "Connecting"): TLS with a CA file and a client
//! certificate, a user and password or a token written in the URL, a `.creds` file under
//! decentralised (operator) authentication; each against a real `nats-server` configured for
//! it, and each failure (a wrong CA, no client certificate, a wrong password or token,
//! another operator's credentials) said plainly with what to fix.
//!
//! Needs `nats-server` (Debian's package of that name): `cargo test --features external
//! --test cluster_connect`.

#![cfg(feature = "external")]

mod cluster_support;
mod external;

use cluster_support::{Cluster, Nats};
use data_encoding::BASE64URL_NOPAD;
use nkeys::KeyPair;
use std::path::Path;

/// A lead signing up, a line of events for `cluster publish`.
fn events(dir: &Path) {
    let lines: Vec<String> = (0..20)
        .map(|i| {
            format!(
                r#"{{"type":"track","userId":"lead-{i}","event":"Signed Up","properties":{{}},"timestamp":"2026-03-01T00:{i:02}:00Z"}}"#
            )
        })
        .collect();
    std::fs::write(dir.join("events.jsonl"), lines.join("\n") + "\n").expect("write events");
    std::fs::write(
        dir.join("c.nurture"),
        r#"campaign "Connect"

event signed.up as "Signed Up" {}

on signed.up start welcome

workflow welcome {
  send email "hello"
}
"#,
    )
    .expect("write the campaign");
}

/// Set up, publish and read a status through whatever `c` is told to use: the connection
/// works for every kind of command.
fn works(c: &Cluster) {
    c.init("2", "5s");
    c.publish("events.jsonl");
    let status = c.status();
    // Each partition's stream numbers its own events: together, every line published.
    let published: u64 = status["partitions"]
        .as_array()
        .expect("partitions")
        .iter()
        .filter_map(|p| p["last_event"].as_u64())
        .sum();
    assert_eq!(published, 20, "{status}");
}

/// What a command that must fail said on standard error: one line of plain words, no
/// debugging dump. (The client's own log line about the refusal, which a worker's log keeps,
/// is left out.)
fn refused(c: &Cluster, args: &[&str]) -> String {
    let out = c.nurture_fails(args);
    assert_eq!(out.status.code(), Some(2), "a usage failure");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    let said: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains(" async_nats::"))
        .collect();
    assert_eq!(said.len(), 1, "one line: {stderr}");
    let said = format!("{}\n", said[0]);
    for dump in ["Kind", "Some(", "{ ", "Error {", "\\\""] {
        assert!(!said.contains(dump), "a debugging dump ({dump}): {said}");
    }
    said
}

/// A certificate authority, and certificates it signs.
struct Authority {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pem: String,
}

impl Authority {
    fn new(name: &str) -> Authority {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().expect("a key");
        let cert = params.self_signed(&key).expect("a CA certificate");
        Authority {
            pem: cert.pem(),
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// A certificate for `names` (host names or IP addresses), and its key, as PEM.
    fn sign(&self, names: &[&str], usage: rcgen::ExtendedKeyUsagePurpose) -> (String, String) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names).expect("params");
        params.extended_key_usages = vec![usage];
        params.use_authority_key_identifier_extension = true;
        let key = rcgen::KeyPair::generate().expect("a key");
        let cert = params.signed_by(&key, &self.issuer).expect("a certificate");
        (cert.pem(), key.serialize_pem())
    }
}

#[test]
fn tls_with_a_ca_file_and_a_client_certificate() {
    let dir = tempfile::tempdir().expect("a directory");
    let d = dir.path();
    events(d);
    let ca = Authority::new("Nurture test CA");
    let (server, server_key) = ca.sign(
        &["127.0.0.1", "localhost"],
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
    );
    let (client, client_key) = ca.sign(&["worker"], rcgen::ExtendedKeyUsagePurpose::ClientAuth);
    let other = Authority::new("Another CA");
    for (name, text) in [
        ("ca.pem", &ca.pem),
        ("server.pem", &server),
        ("server-key.pem", &server_key),
        ("client.pem", &client),
        ("client-key.pem", &client_key),
        ("other-ca.pem", &other.pem),
    ] {
        std::fs::write(d.join(name), text).expect("write a PEM file");
    }
    let path = |name: &str| d.join(name).to_str().expect("a UTF-8 path").to_string();
    // The server verifies clients' certificates too.
    let nats = Nats::configured(&format!(
        "tls {{\n  cert_file: {:?}\n  key_file: {:?}\n  ca_file: {:?}\n  verify: true\n}}",
        path("server.pem"),
        path("server-key.pem"),
        path("ca.pem"),
    ));
    let url = nats.url();
    let tls_url = url.replace("nats://", "tls://");
    // Every option from the environment, as a worker's unit file would set them.
    let (ca_file, cert, key) = (path("ca.pem"), path("client.pem"), path("client-key.pem"));
    let mut c = Cluster::over(
        nats,
        d,
        &[
            ("NURTURE_NATS_URL", &tls_url),
            ("NURTURE_NATS_TLS_CA", &ca_file),
            ("NURTURE_NATS_TLS_CERT", &cert),
            ("NURTURE_NATS_TLS_KEY", &key),
        ],
    );
    works(&c);
    c.start_worker("a", "c.nurture");
    c.wait_caught_up();
    assert_eq!(c.actions().len(), 20, "a hello for each lead, over TLS");
    c.signal("a", "-TERM");
    // From here on, only what the flags say.
    c.env.clear();

    // The same by flags, with a nats:// URL: --tls-ca makes TLS required.
    let status_with = |flags: &[&str]| {
        let mut args = vec!["cluster", "status", "--nats", &url];
        args.extend(flags);
        args.iter().map(|a| a.to_string()).collect::<Vec<String>>()
    };
    let args = status_with(&[
        "--json",
        "--tls-ca",
        &ca_file,
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let status = c.nurture(&args);
    assert!(status.contains("\"partitions\""), "{status}");
    let refused_with = |flags: &[&str]| {
        let args = status_with(flags);
        refused(&c, &args.iter().map(String::as_str).collect::<Vec<_>>())
    };

    // A CA that did not sign the server's certificate.
    let other_ca = path("other-ca.pem");
    let said = refused_with(&[
        "--tls-ca",
        &other_ca,
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ]);
    assert!(
        said.starts_with(&format!(
            "nurture cluster status: the TLS connection to NATS at {url} failed: invalid peer \
             certificate: "
        )),
        "{said}"
    );
    assert!(
        said.contains("Check that --tls-ca names the CA that signed the server's certificate"),
        "{said}"
    );

    // No client certificate: the server ends the handshake.
    let said = refused_with(&["--tls-ca", &ca_file]);
    assert!(
        said.contains("the TLS connection to NATS at") && said.contains("--tls-cert and --tls-key"),
        "{said}"
    );

    // A CA file that is not there is said as such.
    let said = refused_with(&["--tls-ca", "missing.pem"]);
    assert!(
        said.starts_with("nurture cluster status: cannot read the TLS CA file missing.pem: "),
        "{said}"
    );
}

/// A server with this `authorization {}` block, and a cluster that reaches it with `login@`
/// in `NURTURE_NATS_URL`, set up and publishing through it; the server's host and port.
fn behind(authorization: &str, login: &str) -> (Cluster, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a directory");
    events(dir.path());
    let nats = Nats::configured(&format!("authorization {{\n{authorization}\n}}"));
    let host = format!("127.0.0.1:{}", nats.port);
    let url = format!("nats://{login}@{host}");
    let c = Cluster::over(nats, dir.path(), &[("NURTURE_NATS_URL", &url)]);
    // From NURTURE_NATS_URL alone.
    works(&c);
    (c, host, dir)
}

#[test]
fn a_user_and_password_in_the_url() {
    let (c, host, _dir) = behind(
        "user: nurture\npassword: \"s3cret p@ss\"",
        "nurture:s3cret%20p%40ss",
    );
    let help = c.nurture(&["cluster", "status", "--help"]);
    assert!(help.contains("NURTURE_NATS_URL"), "{help}");
    assert!(!help.contains("s3cret"), "--help shows no password: {help}");

    // --nats wins over NURTURE_NATS_URL.
    let wrong = format!("nats://nurture:guess@{host}");
    let said = refused(&c, &["cluster", "status", "--nats", &wrong]);
    assert_eq!(
        said,
        format!(
            "nurture cluster status: NATS at nats://{host} refused user `nurture` with the \
             password given: check both in the URL (nats://USER:PASSWORD@HOST:4222, with \
             special characters of the password percent-encoded, such as %40 for @)\n"
        )
    );
    assert!(!said.contains("guess"), "the password is not shown");

    let said = refused(
        &c,
        &["cluster", "status", "--nats", &format!("nats://{host}")],
    );
    assert_eq!(
        said,
        format!(
            "nurture cluster status: NATS at nats://{host} asks for credentials and none were \
             given: put them in the URL (nats://USER:PASSWORD@HOST:4222 or \
             nats://TOKEN@HOST:4222), or give a credentials file with --creds\n"
        )
    );
}

#[test]
fn a_token_in_the_url() {
    let (c, host, _dir) = behind("token: \"t0k3n\"", "t0k3n");
    let said = refused(
        &c,
        &[
            "cluster",
            "status",
            "--nats",
            &format!("nats://guess@{host}"),
        ],
    );
    assert_eq!(
        said,
        format!(
            "nurture cluster status: NATS at nats://{host} refused the token given: check it in \
             the URL (nats://TOKEN@HOST:4222)\n"
        )
    );
}

/// A NATS JWT: `claims` signed by `issuer` (what nats-jwt's `Token::sign` does, for claims it
/// cannot write).
fn jwt(claims: serde_json::Value, issuer: &KeyPair) -> String {
    let header = BASE64URL_NOPAD.encode(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let body = BASE64URL_NOPAD.encode(claims.to_string().as_bytes());
    let signed = format!("{header}.{body}");
    let signature = issuer.sign(signed.as_bytes()).expect("sign");
    format!("{signed}.{}", BASE64URL_NOPAD.encode(&signature))
}

/// An account's JWT with JetStream enabled (unlimited), signed by its operator.
fn account_jwt(account: &KeyPair, operator: &KeyPair, name: &str, jetstream: bool) -> String {
    let mut limits = serde_json::json!({
        "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
        "wildcards": true, "conn": -1, "leaf": -1
    });
    if jetstream {
        for field in ["mem_storage", "disk_storage", "streams", "consumer"] {
            limits[field] = serde_json::json!(-1);
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    jwt(
        serde_json::json!({
            "jti": "",
            "iat": now,
            "iss": operator.public_key(),
            "name": name,
            "sub": account.public_key(),
            "nats": {
                "limits": limits,
                "default_permissions": { "pub": {}, "sub": {} },
                "type": "account",
                "version": 2
            }
        }),
        operator,
    )
}

/// A `.creds` file for a new user of `account`: its JWT (made by nats-jwt) and seed.
fn creds(account: &KeyPair) -> String {
    let user = KeyPair::new_user();
    let token = nats_jwt::Token::new_user(account.public_key(), user.public_key())
        .name("nurture")
        .sign(account);
    format!(
        "-----BEGIN NATS USER JWT-----\n{token}\n------END NATS USER JWT------\n\n\
         -----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
        user.seed().expect("a seed")
    )
}

#[test]
fn a_creds_file_under_decentralised_authentication() {
    let dir = tempfile::tempdir().expect("a directory");
    let d = dir.path();
    events(d);
    let operator = KeyPair::new_operator();
    let (system, account) = (KeyPair::new_account(), KeyPair::new_account());
    let nats = Nats::configured(&format!(
        "trusted_keys: [{:?}]\nsystem_account: {:?}\nresolver: MEMORY\nresolver_preload: {{\n  \
         {}: {:?}\n  {}: {:?}\n}}",
        operator.public_key(),
        system.public_key(),
        system.public_key(),
        account_jwt(&system, &operator, "SYS", false),
        account.public_key(),
        account_jwt(&account, &operator, "nurture", true),
    ));
    std::fs::write(d.join("user.creds"), creds(&account)).expect("write the creds");
    // A user of an account of another operator, which this server does not trust.
    let stranger = KeyPair::new_account();
    std::fs::write(d.join("stranger.creds"), creds(&stranger)).expect("write the creds");
    let url = nats.url();
    let mut c = Cluster::over(
        nats,
        d,
        &[
            ("NURTURE_NATS_URL", &url),
            ("NURTURE_NATS_CREDS", "user.creds"),
        ],
    );
    works(&c);
    // A worker's leases, checkpoints and actions, all in the account's JetStream.
    c.start_worker("a", "c.nurture");
    c.wait_caught_up();
    assert_eq!(c.actions().len(), 20, "a hello for each lead");
    assert!(c.signal("a", "-TERM").success());

    let said = refused(&c, &["cluster", "status", "--creds", "stranger.creds"]);
    assert_eq!(
        said,
        format!(
            "nurture cluster status: NATS at {url} refused the credentials in stranger.creds: \
             check that it is this user's current .creds file (its JWT and NKey seed), issued \
             under this server's operator\n"
        )
    );
    let said = refused(&c, &["cluster", "status", "--creds", "nowhere.creds"]);
    assert!(
        said.starts_with(
            "nurture cluster status: cannot read the credentials file nowhere.creds: "
        ),
        "{said}"
    );
}
