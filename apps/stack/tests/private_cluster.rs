//! A private cluster is its owner's alone: no other local user reaches it (even one who knows
//! the password), no TCP listener unless asked for, no login without the password.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::os::unix::process::CommandExt as _;
use std::process::Command;

use chameleon_stack::cluster::bindir;
use chameleon_stack::stack::connect;
use chameleon_stack::users::{OsUser, is_root, server_user};
use chameleon_stack::{Cluster, ServerOptions};

#[tokio::test]
async fn a_private_cluster_admits_its_owner_only_and_only_with_the_password() {
    let dir = std::env::temp_dir().join(format!("chameleon-private-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cluster = Cluster::new(&dir, server_user().unwrap()).unwrap();
    cluster.init_if_missing().await.unwrap();
    cluster.start(&ServerOptions::default()).await.unwrap();
    let outcome = check(&cluster).await;
    cluster
        .stop(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    outcome.unwrap();
}

async fn check(cluster: &Cluster) -> anyhow::Result<()> {
    // The owner, with the password: in.
    let admin = connect(&cluster.superuser_url("postgres")?).await?;
    let listen: String = admin.query_one("SHOW listen_addresses", &[]).await?.get(0);
    assert_eq!(listen, "", "no TCP listener unless asked for");
    let encryption: String = admin
        .query_one("SHOW password_encryption", &[])
        .await?
        .get(0);
    assert_eq!(encryption, "scram-sha-256");

    // The socket's directory is the owner's only.
    let run = std::fs::metadata(cluster.socket_dir())?;
    assert_eq!(run.permissions().mode() & 0o777, 0o700);
    if let Some(owner) = server_user()? {
        assert_eq!(run.uid(), owner.uid);
    } else {
        assert_eq!(run.uid(), nix::unistd::getuid().as_raw());
    }
    let password = std::fs::metadata(cluster.dir().join("superuser.password"))?;
    assert_eq!(password.permissions().mode() & 0o777, 0o600);

    // Without the password: refused, even over the socket.
    let socket = cluster.socket_dir();
    let no_password = format!(
        "host={} port=5432 user=postgres dbname=postgres",
        socket.display()
    );
    assert!(
        connect(&no_password).await.is_err(),
        "a login without the password"
    );

    // Another local user, even one given the password: cannot reach the socket at all.
    if is_root() {
        let stranger = OsUser::by_name("nobody")?;
        let output = Command::new(bindir()?.join("psql"))
            .args([
                "-h",
                socket.to_str().unwrap(),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-c",
                "SELECT 1",
            ])
            .env("PGPASSWORD", cluster.superuser_password()?)
            .env("HOME", "/")
            .uid(stranger.uid)
            .gid(stranger.gid)
            .output()?;
        assert!(!output.status.success(), "another user connected");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(said.contains("Permission denied"), "{said}");
    }
    Ok(())
}
