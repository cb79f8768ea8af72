//! `decoy fake`: seeded fixtures, streamed, written atomically.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use decoy_spec::{Spec, StatusKey};
use decoy_synth::{Direction, Generator, Options, record_seed};
use serde_json::{Value, json};

use crate::Outcome;

/// Flags of `decoy fake`.
#[derive(Debug, Args)]
pub(crate) struct FakeArgs {
    /// What to generate: a component schema (`Pet`), an operation's success
    /// response (`getPet`), one of its responses (`getPet:404`,
    /// `getPet:default`) or its request body (`createPet:request`).
    name: String,
    /// The document (YAML or JSON). Default: the embedded Calls API.
    #[arg(long)]
    doc: Option<PathBuf>,
    /// How many records.
    #[arg(long, short = 'n', default_value_t = 1)]
    count: u64,
    /// The seed: the same seed gives the same bytes, another seed other data.
    #[arg(long, default_value_t = 1, env = "DECOY_SEED")]
    seed: u64,
    /// `json`: one value, or an array when --count > 1; `ndjson`: one compact
    /// value per line.
    #[arg(long, value_enum, default_value_t = FakeFormat::Json)]
    format: FakeFormat,
    /// Records that each break exactly one named constraint, wrapped as
    /// `{"invalid": KIND, "at": POINTER, "value": ...}`.
    #[arg(long)]
    invalid: bool,
    /// Include every optional property.
    #[arg(long)]
    full: bool,
    /// Use the document's `examples`/`default` values where present.
    #[arg(long)]
    examples: bool,
    /// `realistic` values, or `edge`: schema-valid extremes for frontends
    /// (empty and longest arrays, longest non-ASCII and right-to-left text,
    /// every nullable field null, largest numbers).
    #[arg(long, default_value = "realistic", value_parser = ["realistic", "edge"])]
    profile: String,
    /// Write to this file instead of stdout. It appears only when complete:
    /// on error nothing (not even a partial file) is left behind. On stdout,
    /// a run that fails within its first MiB writes nothing either.
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
    /// Threads that generate records; the output is the same for any
    /// number. Default: every core from 1,000 records on, else one.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

/// From this many records on, `decoy fake` uses every core by default.
const PARALLEL_FROM: u64 = 1_000;

/// Output formats of `decoy fake`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FakeFormat {
    Json,
    Ndjson,
}

pub(crate) fn run(args: FakeArgs) -> anyhow::Result<Outcome> {
    let spec = crate::load(args.doc.as_deref())?;
    let (pointer, direction) = resolve(&spec, &args.name)?;
    let options = Options::default()
        .direction(direction)
        .full(args.full)
        .examples(args.examples)
        .profile(args.profile.parse().map_err(anyhow::Error::msg)?);
    let generator = Generator::new(spec.shared_document(), options);
    let plan = generator
        .plan(&pointer)
        .with_context(|| format!("cannot generate `{}` (schema at {pointer})", args.name))?;
    if args.invalid && plan.invalid_kinds().is_empty() {
        bail!(
            "`{}` (schema at {pointer}): decoy finds no single constraint to break outside `anyOf`/`oneOf`/`not` branches, so it cannot make a labelled invalid value",
            args.name
        );
    }

    let array = args.format == FakeFormat::Json && args.count != 1;
    let pretty = args.format == FakeFormat::Json && !array;
    let threads = args
        .threads
        .unwrap_or_else(|| match args.count >= PARALLEL_FROM {
            true => std::thread::available_parallelism().map_or(1, |n| n.get()),
            false => 1,
        })
        .max(1);
    let record = |i: u64, out: &mut Vec<u8>| -> anyhow::Result<()> {
        let seed = record_seed(args.seed, i);
        let context = || format!("record {i} (seed {})", args.seed);
        if args.invalid {
            let bad = match plan.generate_invalid(seed) {
                Ok(Some(bad)) => bad,
                Ok(None) => bail!("{}: no invalid value could be made", context()),
                Err(e) => return Err(e).with_context(context),
            };
            let value =
                json!({"invalid": bad.kind.name(), "at": bad.instance_pointer, "value": bad.value});
            write_value(out, &value, pretty)?;
        } else if pretty {
            let value = plan.generate(seed).with_context(context)?;
            write_value(out, &value, true)?;
        } else {
            // The fast path: straight to JSON, no `Value` tree in between.
            plan.write_json(seed, out).with_context(context)?;
        }
        Ok(())
    };

    let write = |out: &mut dyn Write| -> anyhow::Result<()> {
        let mut progress = Progress::new(args.count);
        if array {
            out.write_all(b"[\n")?;
        }
        let mut emit = |i: u64, bytes: &[u8]| -> std::io::Result<()> {
            if array && i > 0 {
                out.write_all(b",\n")?;
            }
            out.write_all(bytes)?;
            if !array {
                out.write_all(b"\n")?;
            }
            progress.tick(i + 1, bytes.len() + usize::from(!array));
            Ok(())
        };
        if threads == 1 {
            let mut line = Vec::with_capacity(16 * 1024);
            for i in 0..args.count {
                line.clear();
                record(i, &mut line)?;
                emit(i, &line)?;
            }
        } else {
            in_parallel(args.count, threads, &record, &mut emit)?;
        }
        if array {
            out.write_all(b"\n]\n")?;
        }
        progress.finish();
        Ok(())
    };

    match &args.out {
        Some(path) => write_atomically(path, write)?,
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
            if let Err(e) = write(&mut out) {
                // What is still buffered is dropped, not flushed: a run that
                // fails before its first mebibyte leaves stdout empty rather
                // than holding half a JSON array.
                let _ = out.into_parts();
                return Err(e);
            }
            out.flush()?;
        }
    }
    Ok(Outcome::Ok)
}

/// Generates records `0..count` on `threads` threads, batch by batch, and
/// hands them to `emit` in index order: each record depends only on its
/// index, so the bytes are those of one thread. The first failing record
/// stops the run after the ones before it are emitted, as on one thread.
fn in_parallel(
    count: u64,
    threads: usize,
    record: &(dyn Fn(u64, &mut Vec<u8>) -> anyhow::Result<()> + Sync),
    emit: &mut dyn FnMut(u64, &[u8]) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    /// Records of one batch: their bytes end to end, where each ends, and
    /// the error that stopped the batch, if one did.
    struct Batch {
        bytes: Vec<u8>,
        ends: Vec<usize>,
        error: Option<anyhow::Error>,
    }
    // Enough batches per round to keep every thread busy, small enough to
    // bound memory (two rounds are held at a time); the next round is made
    // while this one is written.
    let per = (count / (threads as u64 * 4)).clamp(1, 512);
    std::thread::scope(|s| {
        let spawn_round = |start: u64| -> Vec<std::thread::ScopedJoinHandle<'_, Batch>> {
            (0..threads as u64)
                .map(|t| start + t * per)
                .take_while(|&from| from < count)
                .map(|from| {
                    s.spawn(move || {
                        let mut b = Batch {
                            bytes: Vec::new(),
                            ends: Vec::new(),
                            error: None,
                        };
                        for i in from..(from + per).min(count) {
                            if let Err(e) = record(i, &mut b.bytes) {
                                b.error = Some(e);
                                break;
                            }
                            b.ends.push(b.bytes.len());
                        }
                        b
                    })
                })
                .collect()
        };
        let mut start = 0;
        let mut round = spawn_round(0);
        while !round.is_empty() {
            let next = spawn_round(start + threads as u64 * per);
            for handle in round {
                let batch = handle
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p));
                let mut from = 0;
                for &end in &batch.ends {
                    emit(start, &batch.bytes[from..end])?;
                    start += 1;
                    from = end;
                }
                if let Some(e) = batch.error {
                    return Err(e);
                }
            }
            round = next;
        }
        Ok(())
    })
}

fn write_value(out: &mut Vec<u8>, value: &Value, pretty: bool) -> serde_json::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(out, value)
    } else {
        serde_json::to_writer(out, value)
    }
}

/// Writes through a temporary file beside `path` and renames it into place
/// only on success, so a failed run leaves nothing behind.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.decoy-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("{}: cannot create", tmp.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        write(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Resolves a NAME to a schema pointer and the side it is generated for.
fn resolve(spec: &Spec, name: &str) -> anyhow::Result<(String, Direction)> {
    let (head, part) = match name.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (name, None),
    };
    if part.is_none() && spec.schema_names().any(|n| n == head) {
        let pointer = decoy_spec::pointer::push("/components/schemas", head);
        return Ok((pointer, component_direction(spec, head)));
    }
    let Some(op) = spec.operation(head) else {
        let candidates: Vec<String> = spec
            .schema_names()
            .map(str::to_owned)
            .chain(spec.operations().iter().filter_map(|o| o.id.clone()))
            .collect();
        let close = decoy_spec::suggest::close_matches(head, candidates.iter().map(String::as_str));
        let hint = if close.is_empty() {
            String::new()
        } else {
            format!(
                "; did you mean {}?",
                close
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        bail!(
            "`{head}` is neither a component schema nor an operationId of {}{hint}",
            spec.origin()
        );
    };
    let json_schema = |content: &[decoy_spec::MediaType]| {
        content
            .iter()
            .find(|m| m.is_json())
            .and_then(|m| m.schema.clone())
    };
    match part {
        Some("request") => {
            let body = op
                .request_body
                .as_ref()
                .with_context(|| format!("`{head}` takes no request body"))?;
            let schema = json_schema(&body.content)
                .with_context(|| format!("`{head}`'s request body has no JSON schema"))?;
            Ok((schema, Direction::Request))
        }
        Some(status) => {
            let key = if status == "default" {
                StatusKey::Default
            } else {
                let code: u16 = status.parse().with_context(|| {
                    format!("`{status}` is not a status code, `default` or `request` (in `{name}`)")
                })?;
                op.response(code).map(|r| r.status).with_context(|| {
                    let documented: Vec<String> =
                        op.responses.iter().map(|r| r.status.to_string()).collect();
                    format!(
                        "`{head}` documents no response {code}; it documents {}",
                        documented.join(", ")
                    )
                })?
            };
            let response = op
                .responses
                .iter()
                .find(|r| r.status == key)
                .with_context(|| format!("`{head}` has no `{status}` response"))?;
            let schema = json_schema(&response.content)
                .with_context(|| format!("`{head}:{status}` has no JSON body"))?;
            Ok((schema, Direction::Response))
        }
        None => {
            let success = op
                .responses
                .iter()
                .filter(|r| matches!(r.status, StatusKey::Code(200..=299) | StatusKey::Range(2)))
                .find_map(|r| json_schema(&r.content))
                .with_context(|| format!("`{head}` documents no 2xx response with a JSON body; name one, like `{head}:default`"))?;
            Ok((success, Direction::Response))
        }
    }
}

/// A component used only as a request body is generated as a request
/// (`readOnly` properties left out); anything else as a response.
fn component_direction(spec: &Spec, name: &str) -> Direction {
    let target = format!("#/components/schemas/{name}");
    let refs = |schema: &Option<String>| {
        schema
            .as_deref()
            .and_then(|p| spec.get(p))
            .and_then(|s| s.get("$ref"))
            .and_then(Value::as_str)
            == Some(target.as_str())
    };
    let in_request = spec.operations().iter().any(|o| {
        o.request_body
            .iter()
            .flat_map(|b| &b.content)
            .any(|m| refs(&m.schema))
    });
    let in_response = spec.operations().iter().any(|o| {
        o.responses
            .iter()
            .flat_map(|r| &r.content)
            .any(|m| refs(&m.schema))
    });
    if in_request && !in_response {
        Direction::Request
    } else {
        Direction::Response
    }
}

/// A one-line progress report on a terminal (stderr) for large runs; silent
/// otherwise, so CI logs and pipes stay clean.
struct Progress {
    total: u64,
    bytes: u64,
    started: Instant,
    last: Instant,
    on: bool,
}

impl Progress {
    fn new(total: u64) -> Progress {
        let now = Instant::now();
        let on =
            total >= 10_000 && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        Progress {
            total,
            bytes: 0,
            started: now,
            last: now,
            on,
        }
    }

    fn tick(&mut self, done: u64, bytes: usize) {
        self.bytes += bytes as u64;
        if self.on && self.last.elapsed() >= Duration::from_millis(100) {
            self.last = Instant::now();
            let pct = done * 100 / self.total.max(1);
            eprint!(
                "\r  {done}/{} records ({pct}%), {:.1} MB",
                self.total,
                self.bytes as f64 / 1e6
            );
        }
    }

    fn finish(&self) {
        if self.on {
            let secs = self.started.elapsed().as_secs_f64();
            eprintln!(
                "\r  {} records, {:.1} MB in {secs:.1} s ({:.0} records/s)          ",
                self.total,
                self.bytes as f64 / 1e6,
                self.total as f64 / secs.max(1e-9)
            );
        }
    }
}
