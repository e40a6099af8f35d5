//! TLS to PostgreSQL, as `sslmode` in the connection string asks (libpq's meanings), over rustls:
//!
//! | `sslmode` | encrypted | the server's certificate |
//! |---|---|---|
//! | `disable` | never | - |
//! | `prefer` (default) | if the server offers it | not checked |
//! | `require` | always | not checked (checked as `verify-ca` when `sslrootcert` names a file) |
//! | `verify-ca` | always | signed by a trusted root |
//! | `verify-full` | always | signed by a trusted root, and for the host connected to |
//!
//! Trusted roots: the file `sslrootcert` names, else the system's. tokio-postgres reads only
//! `disable`, `prefer` and `require`, so [`take_tls_settings`] takes `sslmode` and `sslrootcert`
//! out of the string and the connector does the checking.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::SslMode as WireMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> anyhow::Result<SslMode> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            // `allow` would mean "plain unless the server insists": not offered.
            other => bail!(
                "sslmode {other:?} is not one of disable, prefer, require, verify-ca, verify-full"
            ),
        })
    }

    /// What tokio-postgres itself is told: whether to ask for TLS, and whether to insist.
    pub fn wire(self) -> WireMode {
        match self {
            SslMode::Disable => WireMode::Disable,
            SslMode::Prefer => WireMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => WireMode::Require,
        }
    }
}

/// `sslmode` and `sslrootcert`, as read from a connection string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    pub root_cert: Option<PathBuf>,
}

/// `url` without its `sslmode` and `sslrootcert`, and those two. Both forms: `key=value` pairs
/// (values may be single-quoted) and `postgres://...?sslmode=...`.
pub fn take_tls_settings(url: &str) -> anyhow::Result<(String, TlsSettings)> {
    let mut settings = TlsSettings::default();
    let mut take = |key: &str, value: &str| -> anyhow::Result<bool> {
        match key {
            "sslmode" => settings.mode = SslMode::parse(value)?,
            "sslrootcert" => settings.root_cert = Some(PathBuf::from(value)),
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_owned(), settings));
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !take(key, &percent_decode(value))? {
                kept.push(pair);
            }
        }
        if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        }
    } else {
        let mut kept = Vec::new();
        for (key, raw, value) in pairs(url)? {
            if !take(key, &value)? {
                kept.push(raw);
            }
        }
        kept.join(" ")
    };
    Ok((rest, settings))
}

/// The `key=value` pairs of a libpq connection string: each key, the pair as written, and the
/// value unquoted.
fn pairs(text: &str) -> anyhow::Result<Vec<(&str, &str, String)>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let start = i;
        let eq = text[i..]
            .find('=')
            .map(|at| i + at)
            .context("a connection string pair without `=`")?;
        let key = text[start..eq].trim();
        i = eq + 1;
        let mut value = String::new();
        if bytes.get(i) == Some(&b'\'') {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => bail!("an unterminated quoted value in the connection string"),
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') if i + 1 < bytes.len() => {
                        value.push(char::from(bytes[i + 1]));
                        i += 2;
                    }
                    Some(_) => {
                        let c = text[i..].chars().next().unwrap_or_default();
                        value.push(c);
                        i += c.len_utf8();
                    }
                }
            }
        } else {
            let end = text[i..]
                .find(|c: char| c.is_ascii_whitespace())
                .map_or(text.len(), |at| i + at);
            value.push_str(&text[i..end]);
            i = end;
        }
        out.push((key, &text[start..i], value));
    }
    Ok(out)
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = value.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The connector for `settings` (used only when the mode asks for TLS).
pub fn connector(settings: &TlsSettings) -> anyhow::Result<MakeRustlsConnect> {
    // ring, deprecated by rustls for lacking post-quantum key exchange: aws-lc-rs has it but
    // needs cmake and a long C build on every machine that builds us; a database link inside
    // the deployment is the one TLS use here.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?;
    let verify_chain = match settings.mode {
        SslMode::VerifyCa | SslMode::VerifyFull => true,
        SslMode::Require => settings.root_cert.is_some(),
        SslMode::Disable | SslMode::Prefer => false,
    };
    let config = if !verify_chain {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unchecked(provider)))
            .with_no_client_auth()
    } else {
        let roots = Arc::new(roots(settings)?);
        if settings.mode == SslMode::VerifyFull {
            builder.with_root_certificates(roots).with_no_client_auth()
        } else {
            let chain = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .context("a certificate verifier")?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(chain)))
                .with_no_client_auth()
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

/// The roots `sslrootcert` names, else the system's.
fn roots(settings: &TlsSettings) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    match &settings.root_cert {
        Some(path) => {
            for cert in CertificateDer::pem_file_iter(path)
                .with_context(|| format!("sslrootcert {}", path.display()))?
            {
                roots.add(cert.with_context(|| format!("sslrootcert {}", path.display()))?)?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                // One unreadable system root is no reason to trust none.
                let _ = roots.add(cert);
            }
        }
    }
    anyhow::ensure!(
        !roots.is_empty(),
        "no trusted root certificate to verify the server with"
    );
    Ok(roots)
}

/// `prefer` and `require` without `sslrootcert`: encrypted, the server not authenticated
/// (libpq's meaning of those modes). Nothing of the certificate is checked, the handshake's
/// signature with it included: without a trusted root that proves nothing, and servers in these
/// modes often present what no verifier parses (Citus's self-signed X.509 v1 certificate).
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the name in it is not compared with the
/// host connected to.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_of_both_forms() {
        let (rest, tls) = take_tls_settings(
            "host=db port=5432 user=chameleon password='a b\\'c' sslmode=verify-full sslrootcert='/etc/ca.pem'",
        )
        .unwrap();
        assert_eq!(rest, "host=db port=5432 user=chameleon password='a b\\'c'");
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert_eq!(tls.root_cert, Some(PathBuf::from("/etc/ca.pem")));

        let (rest, tls) = take_tls_settings(
            "postgres://u:p@db:5432/chameleon?sslmode=verify-ca&application_name=x&sslrootcert=%2Fca.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u:p@db:5432/chameleon?application_name=x");
        assert_eq!(tls.mode, SslMode::VerifyCa);
        assert_eq!(tls.root_cert, Some(PathBuf::from("/ca.pem")));

        let (rest, tls) = take_tls_settings("host=/run/pg user=x").unwrap();
        assert_eq!(rest, "host=/run/pg user=x");
        assert_eq!(tls, TlsSettings::default());
        assert!(take_tls_settings("host=db sslmode=allow").is_err());
        assert!(take_tls_settings("host=db sslmode=bogus").is_err());
    }
}
