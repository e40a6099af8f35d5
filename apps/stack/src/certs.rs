//! HTTPS at the edge: the certificate directory nginx reads per handshake
//! (`<dir>/<server name>.crt` and `.key`), and a local certificate authority for development:
//! `make run` makes one and certificates for the demo domains, and prints the authority's path
//! so a browser (or `curl --cacert`) can trust it.
//!
//! Keys are `0640`, readable by nginx's workers through their group and by no one else; a file
//! is written beside its final name and renamed into place, so nginx never reads half of one.
//! The work is done by the `openssl` command (Debian's `openssl` package, installed by
//! `deploy/scripts/setup.sh`).

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::users::OsUser;

/// Certificates are renewed this long before they expire.
pub const RENEW_BEFORE_SECS: u64 = 30 * 24 * 3600;

/// The group nginx's workers run as when its master is root (`user nobody nogroup;` in the
/// rendered configuration): key files are given to it.
pub const WORKER_GROUP: &str = "nogroup";

/// A certificate authority of this machine's own, kept in `dir` (`ca.crt`, and `ca.key`
/// readable by its owner only).
#[derive(Debug, Clone)]
pub struct LocalCa {
    dir: PathBuf,
}

impl LocalCa {
    /// The authority in `dir`, made first if it is not there.
    pub fn ensure(dir: &Path) -> anyhow::Result<LocalCa> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        let ca = LocalCa {
            dir: dir.to_owned(),
        };
        if !ca.cert().exists() || !ca.key().exists() {
            openssl(
                "making the local certificate authority",
                Command::new("openssl")
                    .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
                    .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "3650"])
                    .args(["-subj", "/CN=Chameleon local development CA"])
                    .args(["-addext", "basicConstraints=critical,CA:TRUE"])
                    .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
                    .arg("-keyout")
                    .arg(ca.key())
                    .arg("-out")
                    .arg(ca.cert()),
            )?;
            fs::set_permissions(ca.key(), fs::Permissions::from_mode(0o600))?;
        }
        Ok(ca)
    }

    /// The authority's certificate: what a browser is told to trust.
    pub fn cert(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    fn key(&self) -> PathBuf {
        self.dir.join("ca.key")
    }

    /// A certificate for `domain` in `cert_dir`, unless one valid for another
    /// [`RENEW_BEFORE_SECS`] is there. Whether it issued one.
    pub fn issue(&self, domain: &str, cert_dir: &CertDir) -> anyhow::Result<bool> {
        if !domain
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            || domain.is_empty()
            || domain.starts_with('.')
            || domain.contains("..")
        {
            bail!("{domain:?} is not a domain a certificate can be made for");
        }
        if cert_dir.valid_for(domain, RENEW_BEFORE_SECS) {
            return Ok(false);
        }
        let work = tempdir_in(cert_dir.path())?;
        let (key, csr, cert, ext) = (
            work.join("key.pem"),
            work.join("req.csr"),
            work.join("cert.pem"),
            work.join("ext.cnf"),
        );
        let outcome = (|| {
            openssl(
                "making a key and request",
                Command::new("openssl")
                    .args(["req", "-new", "-newkey", "ec", "-pkeyopt"])
                    .args(["ec_paramgen_curve:P-256", "-nodes", "-subj"])
                    .arg(format!("/CN={domain}"))
                    .arg("-keyout")
                    .arg(&key)
                    .arg("-out")
                    .arg(&csr),
            )?;
            fs::write(
                &ext,
                format!(
                    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                     extendedKeyUsage=serverAuth\nsubjectAltName=DNS:{domain}\n"
                ),
            )?;
            openssl(
                "signing the certificate",
                Command::new("openssl")
                    .args(["x509", "-req", "-days", "397", "-set_serial"])
                    .arg(format!("0x{}", random_hex(16)?))
                    .arg("-in")
                    .arg(&csr)
                    .arg("-CA")
                    .arg(self.cert())
                    .arg("-CAkey")
                    .arg(self.key())
                    .arg("-extfile")
                    .arg(&ext)
                    .arg("-out")
                    .arg(&cert),
            )?;
            cert_dir.install(domain, &fs::read(&cert)?, &fs::read(&key)?)
        })();
        let _ = fs::remove_dir_all(&work);
        outcome.map(|()| true)
    }
}

/// The directory nginx reads certificates from (`TLS_CERT_DIR`).
#[derive(Debug, Clone)]
pub struct CertDir {
    path: PathBuf,
    /// The group keys are given to (nginx's workers'), when we may give files away.
    group: Option<nix::unistd::Gid>,
}

impl CertDir {
    /// `path`, made if missing. Under root it belongs to `writer` (the user the backends run
    /// as, who write the certificates they order) and to nginx's workers' group, `2750`: every
    /// file made in it takes that group (the set-group-id bit), so a key written `0640` by
    /// anyone is readable by nginx's workers and no one else.
    pub fn open(path: &Path, writer: Option<&OsUser>) -> anyhow::Result<CertDir> {
        fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))?;
        let group = if nix::unistd::geteuid().is_root() {
            nix::unistd::Group::from_name(WORKER_GROUP)?.map(|g| g.gid)
        } else {
            None
        };
        if let Some(gid) = group {
            let owner = writer.map(|user| nix::unistd::Uid::from_raw(user.uid));
            nix::unistd::chown(path, owner, Some(gid))?;
            fs::set_permissions(path, fs::Permissions::from_mode(0o2750))?;
        } else {
            fs::set_permissions(path, fs::Permissions::from_mode(0o750))?;
        }
        Ok(CertDir {
            path: path.to_owned(),
            group,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn cert_path(&self, domain: &str) -> PathBuf {
        self.path.join(format!("{domain}.crt"))
    }

    pub fn key_path(&self, domain: &str) -> PathBuf {
        self.path.join(format!("{domain}.key"))
    }

    /// Whether `domain` has a certificate that is still valid `secs` from now.
    pub fn valid_for(&self, domain: &str, secs: u64) -> bool {
        let cert = self.cert_path(domain);
        cert.exists()
            && self.key_path(domain).exists()
            && Command::new("openssl")
                .args(["x509", "-noout", "-checkend"])
                .arg(secs.to_string())
                .arg("-in")
                .arg(&cert)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
    }

    /// Puts `chain` and `key` in place for `domain`: the key first (`0640`, nginx's group),
    /// each written beside its name and renamed.
    pub fn install(&self, domain: &str, chain: &[u8], key: &[u8]) -> anyhow::Result<()> {
        for (path, bytes, mode) in [
            (self.key_path(domain), key, 0o640),
            (self.cert_path(domain), chain, 0o644),
        ] {
            let partial = path.with_extension("partial");
            fs::write(&partial, bytes)?;
            fs::set_permissions(&partial, fs::Permissions::from_mode(mode))?;
            if let Some(gid) = self.group {
                nix::unistd::chown(&partial, None, Some(gid))?;
            }
            fs::rename(&partial, &path)?;
        }
        Ok(())
    }
}

fn openssl(what: &str, command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("{what}: running openssl (Debian: apt install openssl)"))?;
    if !output.status.success() {
        bail!(
            "{what}: openssl failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no random bytes: {e}"))?;
    // The first bit clear: a positive serial number.
    buf[0] &= 0x7f;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn tempdir_in(dir: &Path) -> anyhow::Result<PathBuf> {
    let work = dir.join(format!(".issuing-{}", random_hex(8)?));
    fs::create_dir(&work)?;
    fs::set_permissions(&work, fs::Permissions::from_mode(0o700))?;
    Ok(work)
}
