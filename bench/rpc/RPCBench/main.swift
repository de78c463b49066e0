// The RPC benchmark's two sides, run as separate processes by bench/rpc/run.sh:
//   RPCBench server <runDir>          serves Health as "bench" replica 1 until SIGTERM
//   RPCBench client <runDir> <sequential calls> <concurrent seconds> <callers>
// The client prints one line: seq_p50_us=… seq_p99_us=… calls_per_s=…
import Contracts
import Logging
import NIOCore
import NIOPosix
import RPC
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    print("usage: RPCBench server <runDir> | client <runDir> <calls> <seconds> <callers>")
    exit(2)
}
let logger: Logger = {
    var logger = Logger(label: "rpc-bench")
    logger.logLevel = .warning
    return logger
}()
let runDirectory = arguments[2]

/// A Health answer of about 100 bytes, like a small real response.
let healthResponse = Common.HealthResponse(
    status: .serving, service: "bench", version: "0.1.0+bench.20261126", databaseReachable: true,
    migrationVersion: 3, uptimeSeconds: 12345, instance: "bench.1", detail: "all good, nothing to report here")

// RPC_BENCH_EXECUTOR=takeover: NIO's event loops become the global concurrency executor.
if getenv("RPC_BENCH_EXECUTOR").map({ String(cString: $0) }) == "takeover" {
    _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}

switch arguments[1] {
case "server":
    let router = RPCRouter(service: Identity.Service.descriptor)
    router.register(Identity.Service.health) { _, _ in healthResponse }
    let server = RPCServer(
        configuration: RPCServerConfiguration(serviceName: "bench", replica: 1, runDirectory: runDirectory),
        router: router, logger: logger)
    let group = ServiceGroup(
        configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()

case "client":
    try await runClient(
        calls: Int(arguments[3]) ?? 20000, seconds: Double(arguments[4]) ?? 3, callers: Int(arguments[5]) ?? 8)

default:
    print("unknown mode \(arguments[1])")
    exit(2)
}

/// Sequential latency, then throughput with `callers` concurrent callers for `seconds`.
func runClient(calls: Int, seconds: Double, callers: Int) async throws {
    let client = RPCClient(
        configuration: RPCClientConfiguration(serviceName: "bench", runDirectory: runDirectory, callerName: "bench"),
        logger: logger)
    // Request metadata as the gateway sends it: about 100 bytes of header with the method.
    let metadata = CallMetadata(
        requestID: "5b0e4c1a-7d3f-4f2e-9a61-0c8d2b7e4f10", caller: "gateway",
        principal: Principal(organizationId: "7f1c2a9e-0000-4000-8000-000000000001", role: "admin"))
    for _ in 0..<(calls / 10) {
        _ = try await client.call(Identity.Service.health, Common.HealthRequest(), metadata: metadata)
    }
    let onEventLoop = getenv("RPC_BENCH_EXECUTOR").map({ String(cString: $0) }) == "eventloop"
    let preferred: (any TaskExecutor)? = onEventLoop ? client.taskExecutor : nil
    try await withTaskExecutorPreference(preferred) {
        try await measure(client: client, metadata: metadata, calls: calls, seconds: seconds, callers: callers)
    }
}

func measure(client: RPCClient, metadata: CallMetadata, calls: Int, seconds: Double, callers: Int) async throws {
    var samples: [Double] = []
    samples.reserveCapacity(calls)
    let clock = ContinuousClock()
    for _ in 0..<calls {
        let started = clock.now
        _ = try await client.call(Identity.Service.health, Common.HealthRequest(), metadata: metadata)
        let elapsed = clock.now - started
        samples.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
    }
    samples.sort()
    let p50 = samples[calls / 2]
    let p99 = samples[calls * 99 / 100]

    let until = clock.now + .milliseconds(Int(seconds * 1000))
    let started = clock.now
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<callers {
            group.addTask {
                var count = 0
                while clock.now < until {
                    _ = try await client.call(Identity.Service.health, Common.HealthRequest(), metadata: metadata)
                    count += 1
                }
                return count
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = clock.now - started
    let rate = Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    client.shutdown()
    print("seq_p50_us=\(p50) seq_p99_us=\(p99) calls_per_s=\(Int(rate))")
}
