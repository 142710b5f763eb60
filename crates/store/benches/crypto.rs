//! Envelope encryption costs: seal + open of a 1 KiB record body, and
//! unwrapping a data key (done once per request that reads a client).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ingang_store::crypto::{Keyring, Place, SecretKey};
use std::collections::BTreeMap;

fn keyring() -> Keyring {
    let mut masters = BTreeMap::new();
    masters.insert("bench".to_owned(), SecretKey::generate().unwrap());
    Keyring::new("bench", masters, &SecretKey::generate().unwrap()).unwrap()
}

fn bench_crypto(c: &mut Criterion) {
    let ring = keyring();
    let (key, wrapped) = ring
        .new_data_key("5f0c8a1e-0000-4000-8000-000000000001")
        .unwrap();
    let body = vec![b'x'; 1024];
    let place = Place {
        table: "record_versions",
        field: "body",
        row: "5f0c8a1e-0000-4000-8000-000000000002/1",
    };

    let mut group = c.benchmark_group("crypto");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("seal+open 1 KiB body (AES-256-GCM, bound AAD)", |b| {
        b.iter(|| {
            let sealed = key.seal(place, black_box(&body)).unwrap();
            key.open(place, black_box(&sealed)).unwrap()
        })
    });
    group.finish();
    c.bench_function("crypto/unwrap data key", |b| {
        b.iter(|| {
            ring.unwrap(
                black_box("5f0c8a1e-0000-4000-8000-000000000001"),
                black_box(&wrapped),
            )
            .unwrap()
        })
    });
}

criterion_group!(benches, bench_crypto);
criterion_main!(benches);
