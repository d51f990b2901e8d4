fn main() {
    std::process::exit(match aigate_demo::run() { Ok(()) => 0, Err(_) => 2 });
}
