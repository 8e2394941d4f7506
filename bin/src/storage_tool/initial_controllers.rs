//! `--initial-controllers id@host:port:directory-id,...` (Kafka's `DynamicVoters.parse` and
//! `DynamicVoter.parse`, with their messages) and the VotersRecord it becomes
//! (`DynamicVoters.toVoterSet`: one endpoint per voter under the controller listener's name,
//! kraft.version 0 to 1 supported, voters in ascending id order).

use std::collections::BTreeMap;

use kraft_records::{Uuid, VoterEndpoint, VoterRecord, VotersRecord, KRAFT_CONTROL_VERSION};

/// One `id@host:port:directory-id` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicVoter {
    pub node_id: i32,
    pub host: String,
    pub port: u16,
    pub directory_id: Uuid,
}

/// The initial voters, by node id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicVoters {
    pub voters: BTreeMap<i32, DynamicVoter>,
}

/// Parses a comma-separated list; empty entries are skipped, an empty list is an error.
pub fn parse_voters(input: &str) -> Result<DynamicVoters, String> {
    let mut voters = BTreeMap::new();
    for text in input.trim().split(',').filter(|s| !s.is_empty()) {
        let voter = parse_voter(text)?;
        let id = voter.node_id;
        if voters.insert(id, voter).is_some() {
            return Err(format!("Node id {id} was specified more than once."));
        }
    }
    if voters.is_empty() {
        return Err("No voters given.".into());
    }
    Ok(DynamicVoters { voters })
}

/// Parses one `id@host:port:directory-id`; an IPv6 host goes in brackets.
pub fn parse_voter(input: &str) -> Result<DynamicVoter, String> {
    let input = input.trim();
    let (id_text, rest) = match input.find('@') {
        None => return Err("No @ found in dynamic voter string.".into()),
        Some(0) => return Err("Invalid @ at beginning of dynamic voter string.".into()),
        Some(at) => (&input[..at], &input[at + 1..]),
    };
    let node_id: i32 = id_text
        .parse()
        .map_err(|_| "Failed to parse node id in dynamic voter string.".to_string())?;
    if node_id < 0 {
        return Err(format!(
            "Invalid negative node id {node_id} in dynamic voter string."
        ));
    }
    if rest.is_empty() {
        return Err("No hostname found after node id.".into());
    }
    let (host, rest) = if let Some(bracketed) = rest.strip_prefix('[') {
        let end = bracketed.find(']').ok_or(
            "Hostname began with left bracket, but no right bracket was found.".to_string(),
        )?;
        (&bracketed[..end], &bracketed[end + 1..])
    } else {
        let end = rest
            .find(':')
            .ok_or("No colon following hostname could be found.".to_string())?;
        (&rest[..end], &rest[end..])
    };
    let rest = rest
        .strip_prefix(':')
        .ok_or("Port section must start with a colon.".to_string())?;
    let (port_text, directory_text) = rest
        .split_once(':')
        .ok_or("No colon following port could be found.".to_string())?;
    let port: i64 = port_text
        .parse()
        .map_err(|_| "Failed to parse port in dynamic voter string.".to_string())?;
    let port =
        u16::try_from(port).map_err(|_| format!("Invalid port {port} in dynamic voter string."))?;
    let directory_id: Uuid = directory_text
        .parse()
        .map_err(|e| format!("Failed to parse directory ID in dynamic voter string: {e}"))?;
    Ok(DynamicVoter {
        node_id,
        host: host.to_string(),
        port,
        directory_id,
    })
}

impl DynamicVoters {
    /// The VotersRecord of these voters, each reachable on `listener_name`.
    pub fn to_voters_record(&self, listener_name: &str) -> VotersRecord {
        let voters = self
            .voters
            .values()
            .map(|v| VoterRecord {
                voter_id: v.node_id,
                voter_directory_id: v.directory_id,
                endpoints: vec![VoterEndpoint {
                    name: listener_name.to_string(),
                    host: v.host.clone(),
                    port: v.port,
                }],
                kraft_version_min: 0,
                kraft_version_max: 1,
            })
            .collect();
        VotersRecord {
            version: KRAFT_CONTROL_VERSION,
            voters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = "JEXY6aqzQY-32P5TStzaFg";

    #[test]
    fn parses_kafkas_example() {
        let voters = parse_voters(
            "0@example.com:8082:JEXY6aqzQY-32P5TStzaFg,1@example.com:8083:MvDxzVmcRsaTz33bUuRU6A,\
             2@[::1]:8084:07R5amHmR32VDA6jHkGbTA",
        )
        .unwrap();
        assert_eq!(voters.voters.len(), 3);
        assert_eq!(voters.voters[&2].host, "::1");
        assert_eq!(voters.voters[&0].directory_id.to_string(), DIR);
        let record = voters.to_voters_record("CONTROLLER");
        let ids: Vec<i32> = record.voters.iter().map(|v| v.voter_id).collect();
        assert_eq!(ids, [0, 1, 2]);
        assert_eq!(record.voters[1].endpoints[0].port, 8083);
        assert_eq!(record.voters[1].endpoints[0].name, "CONTROLLER");
        assert_eq!(
            (
                record.voters[0].kraft_version_min,
                record.voters[0].kraft_version_max
            ),
            (0, 1)
        );
    }

    #[test]
    fn refusals_carry_kafkas_messages() {
        let cases = [
            ("", "No voters given."),
            ("1h:1:x", "No @ found in dynamic voter string."),
            ("@h:1:x", "Invalid @ at beginning of dynamic voter string."),
            (
                "a@h:1:x",
                "Failed to parse node id in dynamic voter string.",
            ),
            (
                "-1@h:1:x",
                "Invalid negative node id -1 in dynamic voter string.",
            ),
            ("1@", "No hostname found after node id."),
            (
                "1@[::1:1:x",
                "Hostname began with left bracket, but no right bracket was found.",
            ),
            ("1@[::1]1:x", "Port section must start with a colon."),
            ("1@h", "No colon following hostname could be found."),
            ("1@h:1", "No colon following port could be found."),
            ("1@h:p:x", "Failed to parse port in dynamic voter string."),
            ("1@h:65536:x", "Invalid port 65536 in dynamic voter string."),
        ];
        for (input, message) in cases {
            assert_eq!(parse_voters(input).unwrap_err(), message, "{input}");
        }
        let err = parse_voters("1@h:1:nope").unwrap_err();
        assert!(err.starts_with("Failed to parse directory ID"), "{err}");
        let twice = format!("1@h:1:{DIR},1@g:2:{DIR}");
        assert_eq!(
            parse_voters(&twice).unwrap_err(),
            "Node id 1 was specified more than once."
        );
    }
}
