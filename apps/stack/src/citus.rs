//! A Citus cluster on one machine: a coordinator and two workers, each a private [`Cluster`]
//! listening on loopback, with Citus preloaded.
//!
//! What a real deployment needs is here in small: every node takes password logins only; the
//! superuser's node-to-node connections find the other nodes' passwords in a password file
//! only the servers' user can read (`PGPASSFILE` of each server); the roles Citus opens
//! connections as for the service (the owner role, and the tenant roles through their group)
//! may log in from the cluster's nodes only and never over a local socket. Citus itself comes
//! from `deploy/scripts/citus.sh`, built from the vendored source.
//!
//! A database on the cluster is made with [`CitusCluster::create_database`]: the database on
//! every node, the extension in each, the coordinator and the workers registered.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::cluster::{CitusNode, Cluster, SUPERUSER, ServerOptions, bindir};
use crate::users::OsUser;

/// The Citus version the project builds and tests against.
pub const CITUS_VERSION: &str = "13.2.2";

/// One node: its cluster and its loopback port.
#[derive(Debug, Clone)]
pub struct Node {
    pub cluster: Cluster,
    pub port: u16,
}

impl Node {
    /// The superuser's connection string to `dbname` on this node, over TCP.
    pub fn superuser_url(&self, dbname: &str) -> anyhow::Result<String> {
        Ok(format!(
            "host=127.0.0.1 port={} user={SUPERUSER} password={} dbname={dbname}",
            self.port,
            self.cluster.superuser_password()?
        ))
    }
}

/// A coordinator (`nodes()[0]`) and its workers, under one directory.
#[derive(Debug, Clone)]
pub struct CitusCluster {
    dir: PathBuf,
    nodes: Vec<Node>,
    node_only_roles: Vec<String>,
}

impl CitusCluster {
    /// The cluster in `dir`: the coordinator on `base_port`, `workers` workers on the ports
    /// after it, run as `owner`. `node_only_roles` (`role` or `+group`) log in from the nodes
    /// only. Nothing is created yet.
    pub fn new(
        dir: impl Into<PathBuf>,
        base_port: u16,
        workers: u16,
        owner: Option<OsUser>,
        node_only_roles: &[&str],
    ) -> anyhow::Result<CitusCluster> {
        let dir = dir.into();
        let nodes = (0..=workers)
            .map(|i| {
                let name = if i == 0 {
                    "coordinator".to_owned()
                } else {
                    format!("worker{i}")
                };
                Ok(Node {
                    cluster: Cluster::new(dir.join(name), owner.clone())?,
                    port: base_port + i,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(CitusCluster {
            dir,
            nodes,
            node_only_roles: node_only_roles.iter().map(|r| (*r).to_owned()).collect(),
        })
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn coordinator(&self) -> &Node {
        &self.nodes[0]
    }

    pub fn workers(&self) -> &[Node] {
        &self.nodes[1..]
    }

    /// Creates the nodes that are missing and starts those not running.
    pub async fn start(&self) -> anyhow::Result<()> {
        ensure_installed()?;
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        // One superuser password for all: Citus copies the superuser role, password hash
        // included, from the coordinator to every node it adds.
        self.coordinator().cluster.init_if_missing().await?;
        let password = self.coordinator().cluster.superuser_password()?;
        for node in self.workers() {
            node.cluster.init_if_missing_with(Some(&password)).await?;
        }
        // Every node's superuser password, for the servers' own connections to each other.
        let mut passwords = String::new();
        for node in &self.nodes {
            passwords.push_str(&format!(
                "*:{}:*:{SUPERUSER}:{}\n",
                node.port,
                node.cluster.superuser_password()?
            ));
        }
        for node in &self.nodes {
            // Each server reads its own copy, inside its own directory.
            let passfile = node.cluster.dir().join("nodes.pgpass");
            node.cluster.write_owned(&passfile, &passwords)?;
            node.cluster
                .start(&ServerOptions {
                    max_connections: 300,
                    unsafe_fast: true,
                    tcp_port: Some(node.port),
                    citus: Some(CitusNode {
                        passfile,
                        node_addresses: vec!["127.0.0.1/32".to_owned()],
                        node_only_roles: self.node_only_roles.clone(),
                    }),
                    ..ServerOptions::default()
                })
                .await
                .with_context(|| format!("starting the Citus node on port {}", node.port))?;
        }
        Ok(())
    }

    /// Stops every node.
    pub async fn stop(&self, timeout: std::time::Duration) -> anyhow::Result<()> {
        for node in self.nodes.iter().rev() {
            node.cluster.stop(timeout).await?;
        }
        Ok(())
    }

    /// `name` on every node, with Citus in each and the workers registered on the coordinator.
    pub async fn create_database(&self, name: &str) -> anyhow::Result<()> {
        for node in &self.nodes {
            let admin = connect(&node.superuser_url("postgres")?).await?;
            admin
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .await
                .with_context(|| format!("creating {name} on port {}", node.port))?;
            let db = connect(&node.superuser_url(name)?).await?;
            db.batch_execute("CREATE EXTENSION citus")
                .await
                .with_context(|| format!("creating the extension on port {}", node.port))?;
        }
        let coordinator = connect(&self.coordinator().superuser_url(name)?).await?;
        coordinator
            .execute(
                "SELECT citus_set_coordinator_host('127.0.0.1', $1)",
                &[&i32::from(self.coordinator().port)],
            )
            .await
            .context("registering the coordinator")?;
        for worker in self.workers() {
            coordinator
                .execute(
                    "SELECT citus_add_node('127.0.0.1', $1)",
                    &[&i32::from(worker.port)],
                )
                .await
                .with_context(|| format!("adding the worker on port {}", worker.port))?;
        }
        Ok(())
    }

    /// Drops `name` on every node, then `roles` (they belong to each node, not to a database).
    pub async fn drop_database(&self, name: &str, roles: &[String]) -> anyhow::Result<()> {
        for node in self.nodes.iter().rev() {
            let admin = connect(&node.superuser_url("postgres")?).await?;
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .with_context(|| format!("dropping {name} on port {}", node.port))?;
            for role in roles {
                admin
                    .batch_execute(&format!("DROP ROLE IF EXISTS \"{role}\""))
                    .await
                    .with_context(|| format!("dropping role {role} on port {}", node.port))?;
            }
        }
        Ok(())
    }
}

/// Fails with the way out when Citus is not installed in the server the nodes run.
pub fn ensure_installed() -> anyhow::Result<()> {
    let lib = bindir()?
        .parent()
        .map(|dir| dir.join("lib").join("citus.so"))
        .unwrap_or_default();
    if !contains(&lib, format!("Citus {CITUS_VERSION}").as_bytes()) {
        bail!(
            "Citus {CITUS_VERSION} is not installed in {} (deploy/scripts/citus.sh builds it)",
            lib.display()
        );
    }
    Ok(())
}

fn contains(path: &Path, needle: &[u8]) -> bool {
    std::fs::read(path)
        .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
        .unwrap_or(false)
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .context("connecting to a Citus node")?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}
