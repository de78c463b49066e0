import ArgumentParser
import ServiceKit

/// `smarterchatctl`: the operator's tool.
@main
struct SmarterChatCTL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smarterchatctl",
        abstract: "Run and inspect SmarterChat.",
        version: SmarterChatVersion.current,
        subcommands: [Up.self, Status.self, Migrate.self])
}

/// Options shared by the commands that manage a development platform.
struct PlatformOptions: ParsableArguments {
    @Option(help: "Where the development PostgreSQL keeps its data and socket.")
    var dataDir = "./.data"

    @Option(help: "Where the services put their RPC sockets (SMARTERCHAT_RUN_DIR).")
    var runDir = "./.run"

    @Option(help: "The gateway's HTTP port (SMARTERCHAT_HTTP_PORT).")
    var httpPort = 8080
}
