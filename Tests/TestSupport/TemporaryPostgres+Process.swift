import Foundation
import Logging

extension TemporaryPostgres {
    /// PostgreSQL's binaries from `pg_config --bindir`, else Debian's version 15 folder.
    static func findBinaries() throws -> URL {
        if let output = try? runSync("/usr/bin/env", ["pg_config", "--bindir"], asServerUser: false),
            case let path = output.trimmingCharacters(in: .whitespacesAndNewlines),
            FileManager.default.isExecutableFile(atPath: path + "/initdb")
        {
            return URL(fileURLWithPath: path)
        }
        let fallback = "/usr/lib/postgresql/15/bin"
        guard FileManager.default.isExecutableFile(atPath: fallback + "/initdb") else {
            throw TemporaryPostgresError("PostgreSQL binaries not found (pg_config --bindir, \(fallback))")
        }
        return URL(fileURLWithPath: fallback)
    }

    /// Whether the servers run as the `postgres` system user (we are root).
    static var runsAsServerUser: Bool { geteuid() == 0 }

    /// `initdb` and the settings for a socket-only, fast, disposable server.
    func initialize() throws {
        if Self.runsAsServerUser {
            guard let account = getpwnam("postgres") else {
                throw TemporaryPostgresError("running as root needs a 'postgres' system user")
            }
            guard chown(folder.path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw TemporaryPostgresError("could not hand \(folder.path) to the postgres user")
            }
        }
        _ = try Self.runSync(
            binaries.appendingPathComponent("initdb").path,
            [
                "-D", dataDirectory.path, "-U", superuser, "--auth=trust", "-E", "UTF8", "--locale=C",
                "--no-sync", "--no-instructions",
            ],
            asServerUser: Self.runsAsServerUser)
        let settings = """

            # TemporaryPostgres: Unix socket only, no durability (tests only).
            listen_addresses = ''
            unix_socket_directories = '\(folder.path)'
            port = \(port)
            fsync = off
            synchronous_commit = off
            full_page_writes = off
            max_connections = 200
            shared_buffers = 32MB
            log_min_messages = warning

            """
        let handle = try FileHandle(forWritingTo: dataDirectory.appendingPathComponent("postgresql.conf"))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
    }

    /// `pg_ctl start`, retried briefly: after a SIGKILL the old backends may still hold the
    /// shared memory for a moment.
    func startServer() async throws {
        var lastError: (any Error)?
        for attempt in 0..<10 {
            do {
                try await run(pgctl: ["start", "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "30"])
                return
            } catch {
                lastError = error
                logger.debug("pg_ctl start failed; retrying", metadata: ["attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        let log = (try? String(contentsOf: logFile, encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
        throw TemporaryPostgresError("PostgreSQL did not start: \(lastError.map { "\($0)" } ?? "") \(log)")
    }

    /// Runs `pg_ctl` off the cooperative pool.
    func run(pgctl arguments: [String]) async throws {
        let executable = binaries.appendingPathComponent("pg_ctl").path
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    _ = try Self.runSync(executable, arguments, asServerUser: Self.runsAsServerUser)
                })
            }
        }
    }

    /// The postmaster's process id from `postmaster.pid`, when it is running.
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
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return Foundation.kill(pid, 0) == 0
        }
        guard let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    /// Stops the server at once and deletes the folder, synchronously (used at exit).
    func stopAndRemoveSync() {
        if postmasterPID() != nil {
            _ = try? Self.runSync(
                binaries.appendingPathComponent("pg_ctl").path,
                ["stop", "-D", dataDirectory.path, "-w", "-m", "immediate"], asServerUser: Self.runsAsServerUser)
        }
        remove()
    }

    /// Deletes the folder.
    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs a command to completion, as the `postgres` user when asked, and returns its
    /// output. It uses `posix_spawn` and `waitpid` rather than `Process`: `pg_ctl start`
    /// leaves a daemon behind that inherits descriptors, and `Process` then never sees the
    /// command end. Output goes through a file for the same reason.
    @discardableResult
    static func runSync(_ executable: String, _ arguments: [String], asServerUser: Bool) throws -> String {
        let runuser = FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser"
        let command = asServerUser ? [runuser, "-u", "postgres", "--", executable] + arguments : [executable] + arguments
        // Start in `/`: the postgres user may not be allowed into the current folder.
        let argv = ["/bin/sh", "-c", "cd / && exec \"$@\"", "sh"] + command
        let outputPath = NSTemporaryDirectory() + "/smarterchat-pg-out-\(UUID().uuidString)"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw TemporaryPostgresError("could not start \(argv[0]): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw TemporaryPostgresError(
                "\((executable as NSString).lastPathComponent) failed (status \(status)): \(text.suffix(1500))")
        }
        return text
    }
}
