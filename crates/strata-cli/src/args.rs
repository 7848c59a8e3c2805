//! The command line as typed (clap). [`crate::settings`] turns it into validated settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// strata keeps AWS infrastructure as YAML documents describe it: it checks the documents,
/// plans the changes against what exists, and makes them in dependency order.
#[derive(Debug, Parser)]
#[command(
    name = "strata",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("STRATA_COMMIT"), ")"),
    long_about = None,
    propagate_version = true,
    after_help = "Start with `strata validate`, then `strata plan` and `strata apply` in the \
                  stack's directory (or -f PATH). `strata help COMMAND` for a command's options."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// The options every command takes, shown under their own heading in each command's help.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The stack: a YAML file, or a directory whose *.yaml files are merged.
    #[arg(
        short = 'f',
        long = "file",
        global = true,
        default_value = ".",
        value_name = "PATH"
    )]
    pub file: PathBuf,

    /// Set a variable: --var NAME=VALUE (repeatable; wins over --var-file and the environment).
    #[arg(long = "var", global = true, value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// Read variables from a YAML file of NAME: VALUE (repeatable; later files win).
    #[arg(long = "var-file", global = true, value_name = "FILE")]
    pub var_files: Vec<PathBuf>,

    /// The lockfile (default: strata.lock in the stack's directory).
    #[arg(long, global = true, value_name = "FILE")]
    pub lockfile: Option<PathBuf>,

    /// Keep the stack's state on S3 instead of the local lockfile: s3://BUCKET/PREFIX (the
    /// state of stack NAME goes under PREFIX/NAME/; docs/state.md).
    #[arg(long, global = true, env = "STRATA_STATE", value_name = "URL")]
    pub state: Option<String>,

    /// How long to wait for a stack lock another run holds, e.g. `10m` (default: fail at once,
    /// naming the holder).
    #[arg(long, global = true, default_value = "0s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub lock_timeout: std::time::Duration,

    /// AWS region, when the documents do not set one (else AWS_REGION or the profile's);
    /// `sweep --expired` takes it more than once, to look in each.
    #[arg(long, global = true, env = "STRATA_REGION", value_name = "REGION", action = clap::ArgAction::Append)]
    pub region: Vec<String>,

    /// Accept a region missing from strata's table of AWS regions (one newer than this
    /// release); its code must still have a region's shape.
    #[arg(long, global = true)]
    pub allow_unknown_region: bool,

    /// AWS profile from ~/.aws/config.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Send AWS requests to this endpoint (AWS_ENDPOINT_URL is honoured too).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Use the local emulator on 127.0.0.1 with test credentials (see scripts/emulator).
    #[arg(long, global = true)]
    pub local: bool,

    /// No colours (NO_COLOR is honoured too).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// More detail on stderr: -v AWS call counts, -vv debug logs, -vvv SDK traces.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the documents without calling AWS.
    Validate {
        /// Print diagnostics as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what apply would change.
    Plan(PlanArgs),
    /// Make the changes: plan and apply, or apply a saved plan.
    Apply(ApplyArgs),
    /// Delete everything the stack created.
    Destroy(DestroyArgs),
    /// Print the dependency graph.
    Graph {
        /// Graphviz `dot`, a Mermaid flowchart, or an SVG picture (drawn by `dot`).
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
    },
    /// The stack's estimated fixed cost per day, per resource (us-east-1 prices, dated;
    /// traffic-based charges not included). Calls no AWS API.
    Cost {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Inspect the lockfile.
    #[command(subcommand)]
    State(StateCommand),
    /// Show the outputs recorded by the last apply.
    Output {
        /// One output's value only: a string as it is, a list or mapping as JSON.
        name: Option<String>,
        /// As JSON (a string quoted too).
        #[arg(long, conflicts_with = "raw")]
        json: bool,
        /// The output's value as one bare string; an error for a list or a mapping (for
        /// scripts: `$(strata output --raw NAME)`).
        #[arg(long, requires = "name")]
        raw: bool,
    },
    /// Wait until every resource of the stack is usable (after `apply --no-wait`); exit 1
    /// naming those that are not when the timeout passes first.
    Wait(WaitArgs),
    /// Delete everything in the region tagged as the stack's (`strata:stack` and `strata:name`),
    /// lockfile or none, in dependency order and in rounds until nothing is left; a dry run
    /// outside a terminal unless --auto-approve.
    Sweep(SweepArgs),
    /// Release a stack lock left by a process that is gone.
    ForceUnlock {
        /// The lock's id, as the "locked by" message gives it (needed for a lock on S3).
        id: Option<u64>,
    },
    /// Print a plan saved with `plan --out`, as text, Markdown or JSON.
    Show {
        /// The saved plan.
        plan_file: PathBuf,
        /// How to print it.
        #[arg(long, value_enum, default_value = "text")]
        format: PlanFormat,
    },
    /// Adopt a resource that exists in AWS under a documents' name: read it by its id, tag it
    /// with this stack's ownership tags, record it in the lockfile, and show the next plan.
    Import {
        /// The resource's name in the documents.
        name: String,
        /// Its AWS id (vpc-…, subnet-…, an ARN or a name, as the kind is addressed).
        id: String,
    },
    /// Write documents in strata's form from resources that exist in AWS (a VPC and what is in
    /// it, whatever carries some tags, or resources by id); with --import, adopt them all so
    /// that the next plan changes nothing.
    Generate(GenerateArgs),
    /// Print the JSON Schema of the documents.
    Schema,
    /// Print a shell's completion script (where to put it: `strata completions --help`).
    Completions {
        /// The shell.
        shell: CompletionShell,
    },
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Save the plan to apply it later with `strata apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 with no changes, 2 with changes, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Print the plan as JSON (docs/plan-format.md); the same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// How to print the plan: text for a terminal, JSON for programs, Markdown for a pull
    /// request's comment.
    #[arg(long, value_enum, default_value = "text")]
    pub format: PlanFormat,
    /// Plan the destruction of everything.
    #[arg(long)]
    pub destroy: bool,
    /// Take over resources carrying this stack's ownership tags that another lockfile created
    /// (another directory on the same stack, or a lockfile that was lost): adopt those the
    /// documents name, delete the rest. Without it, such resources stop the plan.
    #[arg(long)]
    pub adopt_foreign: bool,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// `--target`, `--replace`, `--refresh-only` (plan and apply).
#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// Plan only this resource and what it depends on (with --destroy: and what depends on
    /// it); repeatable. The plan is partial: the other changes wait for a plan without it.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
    /// Replace this resource even if nothing forces it, in its kind's replacement order;
    /// repeatable.
    #[arg(long = "replace", value_name = "NAME")]
    pub replace: Vec<String>,
    /// Record the live values of the resources the lockfile records (and forget those that
    /// are gone) without changing anything in AWS.
    #[arg(long, conflicts_with_all = ["replace", "targets"])]
    pub refresh_only: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `strata plan --out`; refused if the lockfile changed since.
    pub plan_file: Option<PathBuf>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Operations in flight at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,
    /// Write each operation's start and end, and the critical path, to this JSON file.
    #[arg(long, value_name = "FILE")]
    pub timings: Option<PathBuf>,
    /// Take over resources carrying this stack's ownership tags that another lockfile created
    /// (another directory on the same stack, or a lockfile that was lost): adopt those the
    /// documents name, delete the rest. Without it, such resources stop the plan.
    #[arg(long, conflicts_with = "plan_file")]
    pub adopt_foreign: bool,
    /// Return once AWS accepted every call, without waiting for slow resources (NAT gateways,
    /// …) to be usable; they are recorded as converging. Gate on them with `strata wait`.
    #[arg(long)]
    pub no_wait: bool,
    /// Print one JSON event per line on stdout instead of the plan and progress
    /// (docs/events.md, schemas/events.schema.json).
    #[arg(long)]
    pub json: bool,
    /// A lab's lifetime, e.g. `8h`: every resource is tagged `strata:expires` (now + TTL, UTC),
    /// moved by each apply with --ttl; `strata sweep --expired` finds the stack after that.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub ttl: Option<std::time::Duration>,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Give up after this long, e.g. `90s`, `15m`.
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("selection").required(true).args(["vpc", "tags", "ids"])))]
pub struct GenerateArgs {
    /// A VPC and what is in it: subnets, internet gateways, route tables (not the main one),
    /// NAT gateways and their Elastic IPs, security groups (not the default one), endpoints,
    /// peering connections, transit gateway attachments.
    #[arg(long, value_name = "VPC_ID", conflicts_with_all = ["tags", "ids"])]
    pub vpc: Option<String>,
    /// Whatever carries this tag: KEY=VALUE, or KEY for any value (repeatable: every one of
    /// them), of the kinds the tagging API lists.
    #[arg(long = "tag", value_name = "KEY[=VALUE]", conflicts_with = "ids")]
    pub tags: Vec<String>,
    /// Resources by id: vpc-…, subnet-…, igw-…, eipalloc-…, nat-…, rtb-…, sg-…, or an ARN.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// The stack's name in the documents.
    #[arg(long, value_name = "NAME", default_value = "generated")]
    pub stack: String,
    /// Where to write the documents, or `-` for standard output (default: stack.yaml in the
    /// directory --file names).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write over the file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Then import every resource under its generated name (tag it with the stack's ownership
    /// tags, record it in the lockfile) and show the next plan.
    #[arg(long)]
    pub import: bool,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The stack whose resources to delete: those tagged `strata:stack=NAME` (exactly) that
    /// also carry a `strata:name` tag.
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "expired",
        conflicts_with = "expired"
    )]
    pub stack: Option<String>,
    /// Instead of one stack: list the stacks of the region whose `strata:expires` (`apply
    /// --ttl`) has passed; exit 0 when none has, 2 when some have and --confirm is not given.
    #[arg(long)]
    pub expired: bool,
    /// With --expired: sweep the expired stacks.
    #[arg(long, requires = "expired")]
    pub confirm: bool,
    #[command(flatten)]
    pub rounds: SweepRounds,
}

/// How a sweep proceeds (`strata sweep`, `strata destroy --sweep`).
#[derive(Debug, Args)]
pub struct SweepRounds {
    /// Do not ask for confirmation (without it and without a terminal: a dry run).
    #[arg(long)]
    pub auto_approve: bool,
    /// Operations in flight at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,
    /// Rounds of delete, read again and retry at most.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub rounds: u32,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Delete everything in the region tagged as the stack's, whether or not the lockfile
    /// records it (a lost lockfile, a crash), in rounds until nothing is left (`strata sweep`).
    #[arg(long, conflicts_with_all = ["adopt_foreign", "json", "timings", "targets"])]
    pub sweep: bool,
    /// Rounds of delete, read again and retry at most, with --sweep.
    #[arg(long, default_value_t = 5, requires = "sweep", value_parser = clap::value_parser!(u32).range(1..=50))]
    pub rounds: u32,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Operations in flight at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,
    /// Write each operation's start and end, and the critical path, to this JSON file.
    #[arg(long, value_name = "FILE")]
    pub timings: Option<PathBuf>,
    /// Take over resources carrying this stack's ownership tags that another lockfile created
    /// (another directory on the same stack, or a lockfile that was lost): adopt those the
    /// documents name, delete the rest. Without it, such resources stop the plan.
    #[arg(long)]
    pub adopt_foreign: bool,
    /// Print one JSON event per line on stdout instead of the plan and progress
    /// (docs/events.md, schemas/events.schema.json).
    #[arg(long)]
    pub json: bool,
    /// Destroy only this resource and what depends on it; repeatable. The plan is partial.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
}

/// The shells `strata completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// Bash: `strata completions bash > /etc/bash_completion.d/strata`.
    Bash,
    /// Zsh: into a directory of `$fpath` as `_strata`.
    Zsh,
    /// Fish: `~/.config/fish/completions/strata.fish`.
    Fish,
    /// PowerShell: dot-source it from `$PROFILE`.
    Powershell,
    /// Elvish: `eval (strata completions elvish | slurp)` in `rc.elv`.
    Elvish,
}

impl CompletionShell {
    pub fn shell(self) -> clap_complete::Shell {
        match self {
            CompletionShell::Bash => clap_complete::Shell::Bash,
            CompletionShell::Zsh => clap_complete::Shell::Zsh,
            CompletionShell::Fish => clap_complete::Shell::Fish,
            CompletionShell::Powershell => clap_complete::Shell::PowerShell,
            CompletionShell::Elvish => clap_complete::Shell::Elvish,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// For a terminal: `+`, `~`, `-/+`, `-`, field by field.
    Text,
    /// For programs (docs/plan-format.md, schemas/plan.schema.json).
    Json,
    /// For a pull request's comment: counts, a table, drift, each diff collapsed; cut to
    /// GitHub's 65,536 characters.
    Markdown,
}

impl PlanArgs {
    /// `--json` or `--format`.
    pub fn format(&self) -> PlanFormat {
        if self.json {
            PlanFormat::Json
        } else {
            self.format
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz (`strata graph | dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart (Markdown on GitHub renders it).
    Mermaid,
    /// A picture, drawn by Graphviz's `dot` (install graphviz).
    Svg,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the resources strata owns.
    List,
    /// Show one resource's recorded attributes.
    Show {
        /// The resource's logical name in the documents.
        name: String,
    },
    /// Forget a resource without deleting it: AWS still holds it.
    Rm {
        /// The resource's name in the lockfile.
        name: String,
    },
    /// Rename a resource in the lockfile and in its `strata:name` tag in AWS.
    Mv {
        /// Its name now.
        old: String,
        /// Its new name (rename it in the documents too).
        new: String,
    },
    /// Print the state kept on S3 (--state) as a lockfile, or write it to a file.
    Pull {
        /// Write it to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
    /// Replace the state kept on S3 (--state) with a lockfile, under the stack's lock.
    Push {
        /// The lockfile to push (its lineage and serial are kept). (Its own id: the global
        /// `--file` is `file`, and one id would make this path the documents' too.)
        #[arg(id = "lockfile_to_push", value_name = "FILE")]
        file: std::path::PathBuf,
        /// Replace a state of another lineage, or a newer one.
        #[arg(long)]
        force: bool,
    },
    /// Move the state: from the local lockfile to S3 (`--to s3://BUCKET/PREFIX`), or from S3
    /// (--state) to a local lockfile (`--to FILE`), keeping its lineage and serial.
    Migrate {
        /// Where to: s3://BUCKET/PREFIX, or a lockfile path.
        #[arg(long, value_name = "TARGET")]
        to: String,
    },
}
