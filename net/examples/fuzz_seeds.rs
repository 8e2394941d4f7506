//! Writes the sample requests and responses as seed corpora for the cargo-fuzz targets:
//! `cargo run -p kraft-net --example fuzz_seeds -- net/fuzz/corpus`

use std::path::Path;

use kraft_net::samples;

fn target_of(api_key: i16) -> &'static str {
    match api_key {
        1 => "request_fetch",
        18 => "request_api_versions",
        52 => "request_vote",
        53 => "request_begin_quorum_epoch",
        54 => "request_end_quorum_epoch",
        55 => "request_describe_quorum",
        59 => "request_fetch_snapshot",
        80 => "request_add_raft_voter",
        81 => "request_remove_raft_voter",
        _ => "request_update_raft_voter",
    }
}

fn write(dir: &Path, name: String, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(name), bytes)
}

fn main() -> std::io::Result<()> {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "net/fuzz/corpus".into());
    let root = Path::new(&root);
    for (i, (api_key, v, frame)) in samples::request_frames().into_iter().enumerate() {
        write(&root.join("frame"), format!("{i}"), &frame)?;
        write(&root.join("request_header"), format!("{i}"), &frame[4..])?;
        // Per-api targets take a version selector byte and the body after the header.
        let header_len = kraft_net::codec::header::decode_request_header(&frame[4..])
            .map(|(_, len)| len)
            .unwrap_or(0);
        let range = kraft_net::codec::supported_range(api_key).expect("served");
        let mut input = vec![(v - range.min_version) as u8];
        input.extend_from_slice(&frame[4 + header_len..]);
        write(&root.join(target_of(api_key)), format!("{i}"), &input)?;
    }
    let apis = kraft_net::codec::SUPPORTED_APIS;
    for (i, (api_key, v, frame)) in samples::response_frames().into_iter().enumerate() {
        let index = apis
            .iter()
            .position(|r| r.api_key == api_key)
            .expect("served");
        let mut input = vec![index as u8, (v - apis[index].min_version) as u8];
        input.extend_from_slice(&frame);
        write(&root.join("response"), format!("{i}"), &input)?;
    }
    println!("seed corpora written under {}", root.display());
    Ok(())
}
