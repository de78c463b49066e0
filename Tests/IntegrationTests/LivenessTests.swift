import Foundation
import Testing

/// `GET /livez` answers from the gateway alone: no service, no RPC.
@Suite("The gateway's liveness route", .serialized)
struct LivenessTests {
    @Test("livez is 200 {\"status\":\"ok\"} while no domain service runs and healthz is 503")
    func livezNeedsNoService() async throws {
        let platform = try await RunningPlatform.start(executables: ["gateway"])
        do {
            let up = await platform.waitUntil(timeout: .seconds(30)) {
                (try? await platform.get("/livez"))?.status == 200
            }
            #expect(up, "livez never answered 200; gateway log:\n\(platform.log(of: "gateway").suffix(2000))")
            let livez = try await platform.request("GET", "/livez")
            #expect(livez.status == 200)
            #expect(livez.json as? [String: String] == ["status": "ok"])
            #expect(livez.header("Content-Type")?.hasPrefix("application/json") == true)
            let (health, _) = try await platform.get("/healthz")
            #expect(health == 503, "healthz must see the services missing, livez must not")
        } catch {
            await platform.stop()
            throw error
        }
        await platform.stop()
    }
}
