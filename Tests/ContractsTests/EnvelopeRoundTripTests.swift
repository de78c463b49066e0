import Contracts
import Foundation
import Testing

@Suite("The generated Swift face of the service contracts")
struct EnvelopeRoundTripTests {
    @Test("a health response packs and unpacks to the same value")
    func healthResponseRoundTrips() throws {
        let response = Common.HealthResponse(
            status: .serving, service: "identity", version: "1.2.3", databaseReachable: true,
            migrationVersion: 7, uptimeSeconds: 1234, instance: "identity.1", detail: "")
        let bytes = response.serializedBytes()
        #expect(bytes.count > 20)
        #expect(try Common.HealthResponse(serializedBytes: bytes) == response)
    }

    @Test("a request header with a principal round-trips, scopes in order")
    func requestHeaderRoundTrips() throws {
        var header = Envelope.RequestHeader()
        header.method = "smarterchat.identity.Identity/Health"
        header.timeoutMs = 2500
        header.requestId = "req-1"
        header.caller = "gateway"
        header.principal = Envelope.Principal(
            organizationId: "org", userId: "user", role: "admin", apiKeyId: "", scopes: ["leads:write", "leads:read"])
        let decoded = try Envelope.RequestHeader(serializedBytes: header.serializedBytes())
        #expect(decoded == header)
        #expect(decoded.principal?.scopes == ["leads:write", "leads:read"])
    }

    @Test("a default message packs to no bytes and unpacks from none")
    func defaultsAreEmpty() throws {
        #expect(Envelope.ResponseHeader().serializedBytes().isEmpty)
        #expect(try Envelope.ResponseHeader(serializedBytes: []) == Envelope.ResponseHeader())
    }

    @Test("every service block is described, with idempotent Health")
    func servicesAreDescribed() {
        #expect(Identity.Service.descriptor.name == "smarterchat.identity.Identity")
        #expect(Identity.Service.descriptor.declares("smarterchat.identity.Identity/Health"))
        #expect(Identity.Service.health.fullName == "smarterchat.identity.Identity/Health")
        #expect(Identity.Service.health.isIdempotent)
        #expect(CRM.Service.descriptor.name == "smarterchat.crm.Crm")
        for d in [
            Agents.Service.descriptor, Conversations.Service.descriptor, Hooks.Service.descriptor,
            Analytics.Service.descriptor,
        ] {
            #expect(d.methods.contains("Health"))
        }
    }

    @Test("JSON uses the proto field names and enum names")
    func jsonUsesProtoNames() throws {
        let response = Common.HealthResponse(status: .notServing, service: "crm", databaseReachable: false)
        let json = String(decoding: try JSONEncoder().encode(response), as: UTF8.self)
        #expect(json.contains("\"database_reachable\":false"))
        #expect(json.contains("\"status\":\"NOT_SERVING\""))
        let back = try JSONDecoder().decode(
            Common.HealthResponse.self, from: Data(#"{"service":"crm","status":"NOT_SERVING"}"#.utf8))
        #expect(back == response)
    }
}
