import Foundation
import Logging
import ServiceLifecycle

/// Runs the platform's executables as child processes for development (`smarterchatctl up`).
///
/// Prefixes every line a child writes with its name, restarts a child that dies (backoff from
/// 1 s doubling to 30 s, reset once it has stayed up for a minute), and on graceful shutdown
/// sends SIGTERM to every child, waits for them to drain, then SIGKILLs stragglers.
final class ServiceSupervisor: Service, Sendable {
    /// One child to keep running.
    struct Child: Sendable {
        var name: String
        var executable: URL
        var arguments: [String] = []
        var environment: [String: String]
    }

    private let children: [Child]
    private let logger: Logger
    private let output = LinePrefixer()

    init(children: [Child], logger: Logger) {
        self.children = children
        self.logger = logger
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            for child in children {
                group.addTask { await self.keepRunning(child) }
            }
        }
    }

    /// Starts `child`, restarts it when it dies, stops it on graceful shutdown.
    private func keepRunning(_ child: Child) async {
        var backoff: Duration = .seconds(1)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let process: Process
            let exit: AsyncStream<Int32>
            do {
                (process, exit) = try start(child)
            } catch {
                logger.error("could not start \(child.name): \(error)")
                return
            }
            let started = ContinuousClock.now
            let status = await withGracefulShutdownHandler {
                await Self.waitForExit(process, exit)
            } onGracefulShutdown: {
                if process.isRunning { kill(process.processIdentifier, SIGTERM) }
                let pid = process.processIdentifier
                Task {
                    try? await Task.sleep(for: .seconds(10))
                    if process.isRunning { kill(pid, SIGKILL) }
                }
            }
            if Task.isShuttingDownGracefully || Task.isCancelled {
                output.write(child.name, "stopped")
                return
            }
            output.write(child.name, "exited with status \(status); restarting in \(backoff)")
            if ContinuousClock.now - started > .seconds(60) { backoff = .seconds(1) }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    /// Starts `child`; the stream yields its exit status once it has ended.
    private func start(_ child: Child) throws -> (Process, AsyncStream<Int32>) {
        let process = Process()
        let (exit, exited) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { ended in
            exited.yield(ended.terminationStatus)
            exited.finish()
        }
        process.executableURL = child.executable
        process.arguments = child.arguments
        process.environment = child.environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = self.output
        let name = child.name
        let buffer = LineBuffer()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                return
            }
            for line in buffer.append(data) { output.write(name, line) }
        }
        try process.run()
        return (process, exit)
    }

    /// Waits for the child's end without looking every so often (an idle supervisor makes no
    /// wake-ups beside the platform it runs).
    private static func waitForExit(_ process: Process, _ exit: AsyncStream<Int32>) async -> Int32 {
        for await status in exit { return status }
        return process.terminationStatus
    }
}

/// Writes `name | line` to standard output, one whole line at a time.
struct LinePrefixer: Sendable {
    private let lock = NSLock()
    private static let width = 14

    func write(_ name: String, _ line: String) {
        let padded = name.padding(toLength: Self.width, withPad: " ", startingAt: 0)
        lock.withLock {
            FileHandle.standardOutput.write(Data("\(padded)| \(line)\n".utf8))
        }
    }
}

/// Splits a byte stream into lines, keeping a partial last line for the next chunk.
final class LineBuffer: @unchecked Sendable {
    // Safe: only called from one pipe's readabilityHandler, which Foundation serialises.
    private var pending = Data()

    func append(_ data: Data) -> [String] {
        pending.append(data)
        var lines: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
            pending.removeSubrange(pending.startIndex...newline)
        }
        return lines
    }
}
