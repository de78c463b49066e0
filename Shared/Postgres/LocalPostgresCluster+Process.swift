import Foundation

extension LocalPostgresCluster {
    /// PostgreSQL's binaries from `pg_config --bindir`, else Debian's version 15 folder.
    static func findBinaries() throws -> URL {
        if let output = try? run("/usr/bin/env", ["pg_config", "--bindir"], asServerUser: false),
            case let path = output.trimmingCharacters(in: .whitespacesAndNewlines),
            FileManager.default.isExecutableFile(atPath: path + "/initdb")
        {
            return URL(fileURLWithPath: path)
        }
        let fallback = "/usr/lib/postgresql/15/bin"
        guard FileManager.default.isExecutableFile(atPath: fallback + "/initdb") else {
            throw LocalPostgresError("PostgreSQL binaries not found (pg_config --bindir, \(fallback))")
        }
        return URL(fileURLWithPath: fallback)
    }

    /// Whether the server runs as the `postgres` system user (we are root).
    static var runsAsServerUser: Bool { geteuid() == 0 }

    /// Runs `pg_ctl` off the cooperative pool.
    func pgctl(_ arguments: [String]) async throws {
        let executable = binaries.appendingPathComponent("pg_ctl").path
        try await Self.offPool { try Self.run(executable, arguments, asServerUser: Self.runsAsServerUser) }
    }

    /// Runs blocking work (a child process, `waitpid`) on a thread of its own.
    static func offPool(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    /// The postmaster's process id from `postmaster.pid`.
    func postmasterPID() -> pid_t? {
        let file = dataDirectory.appendingPathComponent("postmaster.pid")
        guard let text = try? String(contentsOf: file, encoding: .utf8),
            let first = text.split(separator: "\n").first, let pid = pid_t(first)
        else { return nil }
        return pid
    }

    /// The processes whose parent is `pid`, read from `/proc`.
    static func children(of pid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let child = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid ? child : nil
        }
    }

    /// Whether `pid` is alive (a zombie counts as gone).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return Foundation.kill(pid, 0) == 0
        }
        guard let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    /// Runs a command to completion, as the `postgres` user when asked, and returns its
    /// output (through a file).
    ///
    /// Uses posix_spawn and waitpid rather than Foundation's `Process`: `pg_ctl start` leaves
    /// a daemon behind that inherits the descriptor `Process` watches for its child's exit,
    /// so `waitUntilExit` would wait for the server itself to stop.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], asServerUser: Bool) throws -> String {
        var argv = [executable] + arguments
        if asServerUser {
            let runuser =
                FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser")
                ? "/usr/sbin/runuser" : "/sbin/runuser"
            argv = [runuser, "-u", "postgres", "--"] + argv
        }
        let outputPath = NSTemporaryDirectory() + "/smarterchat-pg-out-\(UUID().uuidString)"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else {
            throw LocalPostgresError(
                "could not start \((executable as NSString).lastPathComponent): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw LocalPostgresError(
                "\((executable as NSString).lastPathComponent) exited with \(exited ? code : -1): \(text.suffix(1500))")
        }
        return text
    }
}
