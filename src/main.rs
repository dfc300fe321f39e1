use clap::Parser;

fn main() {
    let cli = clearmap::cli::Cli::parse();
    let code = match clearmap::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("clearmap: error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
