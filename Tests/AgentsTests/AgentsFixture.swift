import AsyncHTTPClient
import Contracts
import Cryptography
import Foundation
import Logging
import Postgres
import Prometheus
import RPC
import Synchronization
import TestSupport

@testable import AgentsService

/// The agents handlers over a real, migrated `agents` schema, called through
/// ``RPCInProcessClient``, with crm and identity replaced by in-process routers that record
/// their calls, and log lines captured (to check that no key is ever logged).
struct AgentsFixture: Sendable {
    let database: PostgresClient
    let client: RPCInProcessClient
    let crm: FakeCRM
    let identity: FakeIdentity
    let logs: LogCapture
    let keyRing: KeyRing
    /// The handlers' metrics recorder (not running: tests ``AgentMetricsRecorder/flush()`` it).
    let metrics: AgentMetricsRecorder
    /// The registry the provider client's figures go to: this fixture's own.
    let registry: PrometheusCollectorRegistry

    /// One database per test process; each test makes its own organization.
    static func shared() async throws -> AgentsFixture {
        try await SharedAgentsDatabase.instance.fixture()
    }

    /// Handlers over the same database with other settings or another key ring.
    func with(configuration: AgentsConfiguration? = nil, keyRing: KeyRing? = nil) -> AgentsFixture {
        Self.make(
            database: database, configuration: configuration ?? Self.configuration, keyRing: keyRing ?? self.keyRing,
            crm: crm, identity: identity, logs: logs)
    }

    static var configuration: AgentsConfiguration {
        var configuration = AgentsConfiguration()
        configuration.allowPrivateProviderURLs = true
        configuration.defaultModel = "test-default-model"
        configuration.provider.timeout = .milliseconds(1500)
        configuration.provider.maxAttempts = 3
        configuration.provider.backoff = .milliseconds(20)
        configuration.provider.maxBackoff = .seconds(2)
        return configuration
    }

    static func make(
        database: PostgresClient, configuration: AgentsConfiguration, keyRing: KeyRing, crm: FakeCRM,
        identity: FakeIdentity, logs: LogCapture
    ) -> AgentsFixture {
        let logger = Logger(label: "AgentsTests") { _ in LogCaptureHandler(capture: logs) }
        let registry = PrometheusCollectorRegistry()
        let engine = ReplyEngine(
            configuration: configuration,
            provider: ProviderClient(
                http: providerHTTP.client, settings: configuration.provider,
                limiter: OrganizationConcurrencyLimiter(limit: configuration.concurrencyPerOrganization),
                logger: logger,
                metrics: ProviderMetrics(registry: registry)),
            crm: RPCInProcessClient(router: crm.router), keyRing: keyRing, logger: logger)
        let metrics = AgentMetricsRecorder(database: database, logger: logger)
        let handlers = AgentsHandlers(
            database: database, configuration: configuration, keyRing: keyRing,
            identity: RPCInProcessClient(router: identity.router), engine: engine, metrics: metrics, logger: logger,
            replyConfigurations: ReplyConfigurations(ttl: configuration.replyCacheTTL))
        let router = RPCRouter(service: Agents.Service.descriptor)
        handlers.register(on: router)
        return AgentsFixture(
            database: database, client: RPCInProcessClient(router: router), crm: crm, identity: identity, logs: logs,
            keyRing: keyRing, metrics: metrics, registry: registry)
    }

    /// A new organization's principal with `role`.
    static func principal(_ role: String = "admin", organization: UUID = UUID()) -> Principal {
        Principal(
            organizationId: organization.uuidString.lowercased(), userId: UUID().uuidString.lowercased(), role: role)
    }

    /// Calls as the gateway with `principal`.
    func call<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, as principal: Principal
    ) async throws -> Output {
        try await client.call(
            method, request, metadata: CallMetadata(requestID: "test", caller: "gateway", principal: principal),
            timeout: .seconds(30))
    }

    /// Calls as conversations (service caller, no principal).
    func callAsConversations<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, timeout: Duration = .seconds(30)
    ) async throws -> Output {
        try await client.call(
            method, request, metadata: CallMetadata(requestID: "test", caller: "conversations"), timeout: timeout)
    }

    /// A valid agent for `principal`'s organization, with any field changed by `change`.
    func createAgent(
        as principal: Principal, _ change: (inout Agents.CreateAgentRequest) -> Void = { _ in }
    ) async throws -> Agents.Agent {
        var request = Agents.CreateAgentRequest(
            name: "Ana", personality: "Simpática e objetiva", tone: "friendly", objective: "Qualificar leads",
            systemMessage: "Você é Ana, assistente da Acme.")
        change(&request)
        return try await call(Agents.Service.createAgent, request, as: principal)
    }

    /// A published agent answering through `provider` with a key.
    func liveAgent(
        as principal: Principal, provider: FakeProvider, _ change: (inout Agents.CreateAgentRequest) -> Void = { _ in }
    ) async throws -> Agents.Agent {
        let agent = try await createAgent(as: principal) { request in
            request.providerBaseUrl = provider.baseURL
            change(&request)
        }
        _ = try await call(
            Agents.Service.setProviderKey,
            Agents.SetProviderKeyRequest(agentId: agent.id, providerKey: Self.secretKey), as: principal)
        return try await call(
            Agents.Service.publishAgent, Agents.PublishAgentRequest(agentId: agent.id, published: true), as: principal)
    }

    static let secretKey = "sk-test-SUPERSECRET-0123456789-key-ret1"

    /// A reply job's request for `agent`.
    func generate(
        _ agent: Agents.Agent, history: [Agents.ConversationTurn], leadID: String = "", aiTurns: Int32 = 0,
        timeZone: String = "America/Sao_Paulo", timeout: Duration = .seconds(30)
    ) async throws -> Agents.GenerateReplyResponse {
        try await callAsConversations(
            Agents.Service.generateReply,
            Agents.GenerateReplyRequest(
                organizationId: agent.organizationId, agentId: agent.id, conversationId: UUID().uuidString.lowercased(),
                leadId: leadID, channelType: "whatsapp", contactName: "Maria", history: history, aiTurns: aiTurns,
                timeZone: timeZone), timeout: timeout)
    }

    /// The status an RPC failed with, or nil when it succeeded.
    func failure<Output: Sendable>(_ body: () async throws -> Output) async -> RPCError.Code? {
        do {
            _ = try await body()
            return nil
        } catch let error as RPCError {
            return error.code
        } catch {
            return .unknown
        }
    }

    /// The outbox payloads of `agentID`, as text.
    func events(agentID: String) async throws -> [String] {
        try await database.query(
            "SELECT event_type || ' ' || payload::text AS e FROM outbox WHERE aggregate_id = $1 ORDER BY sequence",
            [UUID(uuidString: agentID)!]
        ).map { try $0.decode(String.self, "e") }
    }
}

/// The fixture's provider client (never shut down: it lives as long as the test process).
let providerHTTP = ProviderHTTPClient(connectionsPerHost: 128)

/// A contact's message, newest-first histories are built from these.
func turn(_ sender: String, _ content: String) -> Agents.ConversationTurn {
    Agents.ConversationTurn(senderType: sender, content: content, messageType: "text", createdAt: "")
}

/// Builds the test database once per process.
actor SharedAgentsDatabase {
    static let instance = SharedAgentsDatabase()
    private var building: Task<AgentsFixture, any Error>?

    func fixture() async throws -> AgentsFixture {
        if let building { return try await building.value }
        let task = Task { try await Self.build() }
        building = task
        return try await task.value
    }

    /// The fixture's master key, `k1:<base64>`.
    static let keyConfiguration = "k1:\(Base64.encode(SecureRandom.bytes(count: 32)))"

    private static func build() async throws -> AgentsFixture {
        let logger = Logger(label: "AgentsTests")
        let server = try await TemporaryPostgres.shared()
        let database = try await server.migratedServiceDatabase(
            service: "agents", poolSize: 6, logger: logger)
        let keyRing = try KeyRing(configuration: keyConfiguration)
        return AgentsFixture.make(
            database: database, configuration: AgentsFixture.configuration, keyRing: keyRing, crm: FakeCRM(),
            identity: FakeIdentity(), logs: LogCapture())
    }
}
