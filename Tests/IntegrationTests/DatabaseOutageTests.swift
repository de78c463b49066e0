import Contracts
import Foundation
import Logging
import RPC
import ServiceKit
import TestSupport
import Testing

/// A service whose database is down keeps running, says NOT_SERVING, and serves once the
/// database is back, without being restarted.
@Suite("A service and its database's outages", .serialized)
struct DatabaseOutageTests {
    static func health(_ client: RPCClient) async -> Common.HealthResponse? {
        try? await client.call(
            PlatformService.crm.health, Common.HealthRequest(), metadata: CallMetadata(), timeout: .seconds(1))
    }

    @Test("started while PostgreSQL is down, crm reports not serving, stays up, and serves once it starts")
    func startsWithoutDatabase() async throws {
        let platform = try await RunningPlatform.start(executables: [])
        let client = RPCClient(
            configuration: RPCClientConfiguration(
                serviceName: "crm", runDirectory: platform.runDirectory.path, callerName: "test"),
            logger: Logger(label: "test"))
        do {
            try await platform.postgres.stop()
            try platform.start("crm")
            // Until its first attempt to reach the database has failed it says "starting".
            let answered = await platform.waitUntil(timeout: .seconds(20)) {
                guard let health = await Self.health(client) else { return false }
                return health.detail != "starting"
            }
            try #require(answered, "crm did not answer Health; log:\n\(platform.log(of: "crm").suffix(2000))")
            let down = try #require(await Self.health(client))
            #expect(down.status == .notServing)
            #expect(down.databaseReachable == false)
            #expect(down.detail == "database unreachable")
            // Every other call is refused as starting, before any handler runs (no principal
            // here: a handler would have answered UNAUTHENTICATED).
            let refused = await #expect(throws: RPCError.self) {
                _ = try await client.call(
                    CRM.Service.listLeads, CRM.ListLeadsRequest(), metadata: CallMetadata(), timeout: .seconds(1))
            }
            #expect(refused?.code == .unavailable)
            #expect(refused?.message.contains("starting") == true)

            try await Task.sleep(for: .seconds(2))
            let pid = try #require(platform.pid(of: "crm"))
            #expect(kill(pid, 0) == 0, "crm exited instead of waiting for the database")
            #expect(await Self.health(client)?.status == .notServing)

            try await platform.postgres.restart()
            let serving = await platform.waitUntil(timeout: .seconds(20)) {
                await Self.health(client)?.status == .serving
            }
            #expect(serving, "crm did not serve after PostgreSQL came back")
            let up = try #require(await Self.health(client))
            #expect(up.databaseReachable)
            #expect(up.migrationVersion >= 1)
            #expect(platform.pid(of: "crm") == pid)
            #expect(platform.log(of: "crm").components(separatedBy: "database unreachable; retrying").count <= 4)
        } catch {
            client.shutdown()
            await platform.stop()
            throw error
        }
        client.shutdown()
        await platform.stop()
    }

    @Test("a running service loses its database, reports it within seconds, and recovers when it restarts")
    func databaseRestart() async throws {
        let platform = try await RunningPlatform.start(executables: ["crm"])
        let client = RPCClient(
            configuration: RPCClientConfiguration(
                serviceName: "crm", runDirectory: platform.runDirectory.path, callerName: "test"),
            logger: Logger(label: "test"))
        do {
            let serving = await platform.waitUntil(timeout: .seconds(30)) {
                await Self.health(client)?.status == .serving
            }
            try #require(serving)
            try await platform.postgres.kill()
            let noticed = await platform.waitUntil(timeout: .seconds(15)) {
                await Self.health(client)?.databaseReachable == false
            }
            #expect(noticed, "crm kept reporting a reachable database after PostgreSQL died")
            try await platform.postgres.restart()
            let back = await platform.waitUntil(timeout: .seconds(20)) {
                await Self.health(client)?.status == .serving
            }
            #expect(back, "crm did not serve again after PostgreSQL restarted")
        } catch {
            client.shutdown()
            await platform.stop()
            throw error
        }
        client.shutdown()
        await platform.stop()
    }
}
