//! TLS for the https-* and h2 scenarios: a self-signed certificate for localhost and
//! 127.0.0.1 made at start, or one given with --cert/--key.

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} holds no PEM certificate")]
    NoCertificate { path: String },
    #[error("{path} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    NoKey { path: String },
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("the certificate and key do not make a TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The certificate the testbed serves, and what a person needs to trust it.
#[derive(Clone)]
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: Arc<PrivateKeyDer<'static>>,
    /// SHA-256 of the leaf certificate, as browsers show it (AA:BB:...).
    pub fingerprint: String,
    /// base64 SHA-256 of the leaf's SubjectPublicKeyInfo, for Chromium's
    /// `--ignore-certificate-errors-spki-list`.
    pub spki_sha256_base64: String,
}

impl Identity {
    pub fn self_signed() -> Result<Self, TlsError> {
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
        let key = rcgen::KeyPair::generate()?;
        let mut params = rcgen::CertificateParams::new(names)?;
        params.distinguished_name.push(rcgen::DnType::CommonName, "connscope testbed");
        let cert = params.self_signed(&key)?;
        let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
        let der = cert.der().clone();
        let key = PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|e| TlsError::Config(rustls::Error::General(e.into())))?;
        Ok(Self::from_parts(vec![der], key, Some(&spki)))
    }

    pub fn from_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let read =
            |p: &Path| std::fs::read(p).map_err(|source| TlsError::Read { path: p.display().to_string(), source });
        let cert_pem = read(cert)?;
        let key_pem = read(key)?;
        let chain: Vec<CertificateDer<'static>> =
            rustls_pemfile::certs(&mut cert_pem.as_slice()).filter_map(Result::ok).collect();
        if chain.is_empty() {
            return Err(TlsError::NoCertificate { path: cert.display().to_string() });
        }
        let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
            .ok()
            .flatten()
            .ok_or_else(|| TlsError::NoKey { path: key.display().to_string() })?;
        Ok(Self::from_parts(chain, key, None))
    }

    fn from_parts(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>, spki: Option<&[u8]>) -> Self {
        let digest = Sha256::digest(chain[0].as_ref());
        let fingerprint = digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
        let spki_sha256_base64 = spki.map(|s| base64(&Sha256::digest(s))).unwrap_or_default();
        Identity { chain, key: Arc::new(key), fingerprint, spki_sha256_base64 }
    }

    /// A rustls server configuration offering `alpn` (in order of preference).
    pub fn server_config(&self, alpn: &[&[u8]]) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn self_signed_identity_makes_a_config_with_alpn() {
        let id = Identity::self_signed().unwrap();
        assert_eq!(id.fingerprint.len(), 32 * 3 - 1);
        assert_eq!(id.spki_sha256_base64.len(), 44);
        let cfg = id.server_config(&[b"h2", b"http/1.1"]).unwrap();
        assert_eq!(cfg.alpn_protocols, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
    }

    #[test]
    fn missing_files_name_the_path() {
        let err = Identity::from_files(Path::new("/nonexistent/cert.pem"), Path::new("/x")).err().unwrap();
        assert!(err.to_string().contains("/nonexistent/cert.pem"));
    }
}
