import Contracts
import Cryptography
import Foundation
import Logging
import Postgres
import ProviderFakes
import RPC
import ServiceKit
import Synchronization
import TestSupport
import Testing

@testable import ConversationsService

/// The inbox, reply and delivery side over a real, migrated `conversations` schema: the
/// channel and inbox handlers behind ``RPCInProcessClient``, in-process fakes of identity
/// (assignable users, organization settings), crm (GetLead) and agents (GenerateReply), and
/// the fake providers as a real HTTP server on 127.0.0.1. The workers are driven by hand
/// (``sendDue(for:)``, ``replyDue(for:)``) so tests see each step.
struct InboxFixture: Sendable {
    let database: PostgresClient
    let client: RPCInProcessClient
    let directory: FakeDirectory
    let leads: FakeLeads
    let agents: FakeAgents
    let provider: FakeProviderServer
    let sender: DeliveryWorker
    let replies: ReplyWorker

    static func shared() async throws -> InboxFixture {
        try await SharedInboxDatabase.instance.fixture()
    }

    static func newAdmin(role: String = "admin") -> Principal {
        Principal(organizationId: UUID().lowercased, userId: UUID().lowercased, role: role)
    }

    static func colleague(of principal: Principal, role: String) -> Principal {
        Principal(organizationId: principal.organizationId, userId: UUID().lowercased, role: role)
    }

    func call<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, as principal: Principal = Principal()
    ) async throws -> Output {
        try await client.call(
            method, request, metadata: CallMetadata(requestID: "test", caller: "gateway", principal: principal),
            timeout: .seconds(60))
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

    /// The error an RPC failed with.
    func error<Output: Sendable>(_ body: () async throws -> Output) async -> RPCError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error as? RPCError
        }
    }

    /// A channel of `type` created through the channel API, its secrets sealed as the
    /// service keeps them; each gets its own provider id so parallel tests stay apart.
    func channel(_ type: String, for principal: Principal) async throws -> Conversations.Channel {
        let unique = String(UUID().uuidString.prefix(8)).lowercased()
        var request = Conversations.CreateChannelRequest(
            type: type, name: "\(type) \(unique)", agentId: UUID().lowercased)
        switch type {
        case "whatsapp":
            request.phoneNumber = "15550783881"
            request.phoneNumberId = "pn\(unique)"
            request.config = Conversations.ChannelSecrets(
                accessToken: "wa-token-\(unique)", appSecret: "app-secret", verifyToken: "verify")
        case "instagram":
            request.instagramAccountId = "ig\(unique)"
            request.config = Conversations.ChannelSecrets(
                accessToken: "ig-token-\(unique)", appSecret: "app-secret", verifyToken: "verify")
        case "telegram":
            request.config = Conversations.ChannelSecrets(botToken: "123:tg\(unique)", secretToken: "secret")
        default:
            break
        }
        return try await call(Conversations.Service.createChannel, request, as: principal)
    }

    /// A conversation on `channel` with a contact message `minutesAgo` minutes old (SQL, as
    /// ingest stores it: the stats triggers run).
    func conversation(
        on channel: Conversations.Channel, contact: String = "55119\(Int.random(in: 10_000_000...99_999_999))",
        contactMessage: String = "Olá, quero saber o preço", minutesAgo: Int = 1, leadID: UUID? = nil
    ) async throws -> UUID {
        let rows = try await database.query(
            """
            INSERT INTO conversations (organization_id, agent_id, channel_id, lead_id, contact_identifier, contact_name)
            SELECT organization_id, agent_id, id, $2, $3, 'Maria Souza' FROM channels WHERE id = $1
            RETURNING id
            """, [UUID(uuidString: channel.id)!, leadID, contact])
        let id = try rows.firstRow!.decode(UUID.self, "id")
        try await contactSays(contactMessage, in: id, minutesAgo: minutesAgo)
        return id
    }

    /// Stores a contact's message `minutesAgo` minutes old.
    @discardableResult
    func contactSays(
        _ text: String, in conversation: UUID, minutesAgo: Int = 0, externalID: String? = nil
    )
        async throws -> UUID
    {
        let rows = try await database.query(
            """
            INSERT INTO messages (conversation_id, sender_type, content, direction, status, external_id, created_at)
            VALUES ($1, 'contact', $2, 'inbound', 'received', $3,
                    clock_timestamp() - make_interval(mins => $4::int))
            RETURNING id
            """, [conversation, text, externalID ?? "wamid.in.\(UUID().uuidString)", minutesAgo])
        return try rows.firstRow!.decode(UUID.self, "id")
    }

    /// Runs the return-to-AI job with the operator active (the conversation must stay in mode
    /// human), then again as if nobody had acted for `minutes` minutes.
    func idleOperator(_ conversation: UUID, quietFor minutes: Int, as principal: Principal) async throws {
        try await InboxIdleReturn.run(database: database)
        #expect(try await inbox(conversation, as: principal).mode == "human")
        try await database.execute(
            """
            UPDATE conversations SET last_operator_activity_at = CURRENT_TIMESTAMP - make_interval(mins => $2::int)
            WHERE id = $1
            """, [conversation, minutes])
        try await InboxIdleReturn.run(database: database)
    }

    /// A pending reply job for the conversation's newest contact message.
    func requestReply(in conversation: UUID) async throws {
        try await database.execute(
            """
            INSERT INTO reply_jobs (organization_id, conversation_id, trigger_message_id)
            SELECT c.organization_id, c.id, m.id FROM conversations c
            JOIN LATERAL (SELECT id FROM messages WHERE conversation_id = c.id AND sender_type = 'contact'
                          ORDER BY created_at DESC LIMIT 1) m ON true
            WHERE c.id = $1
            """, [conversation])
    }

    /// The reply job ``requestReply(in:)`` queued for `conversation`, as the worker claims it.
    func replyJob(in conversation: UUID, organizationID: UUID) async throws -> ReplyJob {
        let id = try #require(
            try await database.query("SELECT id FROM reply_jobs WHERE conversation_id = $1", [conversation])
                .firstRow?.decode(UUID.self, "id"))
        return ReplyJob(
            id: id, organizationID: organizationID, conversationID: conversation, triggerMessageID: UUID(),
            attempts: 1)
    }

    /// Runs the delivery worker until nothing is due, and until no delivery of the
    /// organizations in use is being sent by this organization's pass (deliveries postponed
    /// into the future wait for a later call).
    @discardableResult
    func sendDue(for principal: Principal) async throws -> Int {
        let organization = UUID(uuidString: principal.organizationId)!
        var total = 0
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let sent = try await sender.runOnce(organizationID: organization)
            total += sent
            if sent > 0 { continue }
            let busy = try await count(
                """
                SELECT count(*) AS n FROM outbound_deliveries
                WHERE organization_id = $1
                  AND (status = 'sending' OR (status = 'pending' AND next_attempt_at <= CURRENT_TIMESTAMP))
                """, [organization])
            if busy == 0 { return total }
            try await Task.sleep(for: .milliseconds(20))
        }
        return total
    }

    /// Runs the reply worker for the organization of `principal` until no job is due or running.
    func replyDue(for principal: Principal) async throws {
        let organization = UUID(uuidString: principal.organizationId)!
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if await replies.runOnce(organizationID: organization) > 0 { continue }
            let busy = try await count(
                """
                SELECT count(*) AS n FROM reply_jobs
                WHERE organization_id = $1
                  AND (status = 'running' OR (status = 'pending' AND run_after <= CURRENT_TIMESTAMP))
                """, [organization])
            if busy == 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// One text value from SQL (`SELECT ... AS v`).
    func text(_ query: PostgresQuery, _ binds: [any PostgresEncodable]) async throws -> String? {
        try await database.query(query, binds).firstRow?.decode(String?.self, "v")
    }

    /// One integer from SQL (`SELECT ... AS n`).
    func count(_ query: PostgresQuery, _ binds: [any PostgresEncodable]) async throws -> Int {
        Int(try await database.query(query, binds).firstRow?.decode(Int64.self, "n") ?? 0)
    }

    /// Posts `body` to the channel's callback, signed with the channels' app secret.
    func deliver(_ body: String, to channel: Conversations.Channel) async throws -> Conversations.IngestWebhookResponse
    {
        try await call(
            Conversations.Service.ingestWebhook,
            Conversations.IngestWebhookRequest(
                channelType: channel.type, channelId: channel.id, rawBody: Data(body.utf8),
                signature: IngestFixture.signature(body, secret: "app-secret")))
    }

    /// The conversation as the inbox shows it.
    func inbox(_ conversation: UUID, as principal: Principal) async throws -> Conversations.InboxConversation {
        try await call(
            Conversations.Service.getConversation,
            Conversations.ConversationRequest(conversationId: conversation.lowercased), as: principal)
    }
}

/// identity for the inbox: assignable users and organization settings per organization;
/// an organization without users answers UNIMPLEMENTED (as before identity shipped it).
final class FakeDirectory: Sendable {
    let users = Mutex<[String: [Identity.AssignableUser]]>([:])
    let settings = Mutex<[String: String]>([:])
    /// Names of users no longer assignable (deactivated), by user id: GetUserNames knows them.
    let formerUsers = Mutex<[String: String]>([:])
    /// ListAssignableUsers and GetUserNames calls per organization id.
    let calls = Mutex<[String: Int]>([:])

    func register(on router: RPCRouter) {
        router.register(Identity.Service.listAssignableUsers) { request, _ in
            self.calls.withLock { $0[request.organizationId, default: 0] += 1 }
            guard let users = self.users.withLock({ $0[request.organizationId] }) else {
                throw RPCError(.unimplemented, "not yet")
            }
            let settings = self.settings.withLock { $0[request.organizationId] } ?? "{}"
            return Identity.ListAssignableUsersResponse(
                users: users.sorted { $0.id < $1.id }, timeZone: "America/Sao_Paulo",
                returnToAiAfterMinutes: Int32(OperatorSettingsCache.minutes(fromSettings: settings) ?? 0))
        }
        router.register(Identity.Service.getUserNames) { request, _ in
            self.calls.withLock { $0[request.organizationId, default: 0] += 1 }
            let current = self.users.withLock { $0[request.organizationId] } ?? []
            let former = self.formerUsers.withLock { $0 }
            return Identity.GetUserNamesResponse(
                users: request.userIds.compactMap { id in
                    (current.first { $0.id == id }?.fullName ?? former[id]).map {
                        Identity.UserName(id: id, fullName: $0)
                    }
                })
        }
        router.register(Identity.Service.getOrganizationSettings) { _, context in
            Identity.OrganizationSettings(
                settings: self.settings.withLock { $0[context.principal.organizationId] } ?? "{}", branding: "{}")
        }
    }
}

/// crm's GetLead and GetLeads over a small table of leads; counts GetLeads calls.
final class FakeLeads: Sendable {
    let leads = Mutex<[String: CRM.Lead]>([:])
    let batchCalls = Mutex(0)
    /// GetLeads calls that asked for whole leads rather than summaries.
    let wholeLeadCalls = Mutex(0)

    func register(on router: RPCRouter) {
        router.register(CRM.Service.getLead) { request, _ in
            guard let lead = self.leads.withLock({ $0[request.leadId] }), lead.organizationId == request.organizationId
            else { throw RPCError(.notFound, "lead not found") }
            return CRM.GetLeadResponse(lead: lead)
        }
        router.register(CRM.Service.getLeads) { request, _ in
            self.batchCalls.withLock { $0 += 1 }
            if !request.summaryOnly { self.wholeLeadCalls.withLock { $0 += 1 } }
            let found = self.leads.withLock { leads in
                request.leadIds.compactMap { leads[$0] }.filter { $0.organizationId == request.organizationId }
            }
            return CRM.GetLeadsResponse(leads: found)
        }
    }
}

/// agents' GenerateReply: a scripted answer per conversation; none → UNIMPLEMENTED (agents
/// not deployed yet). Records the requests.
final class FakeAgents: Sendable {
    let answers = Mutex<[String: Agents.GenerateReplyResponse]>([:])
    let requests = Mutex<[Agents.GenerateReplyRequest]>([])

    func register(on router: RPCRouter) {
        router.register(Agents.Service.generateReply) { request, _ in
            self.requests.withLock { $0.append(request) }
            guard let answer = self.answers.withLock({ $0[request.conversationId] }) else {
                throw RPCError(.unimplemented, "agents is not deployed")
            }
            return answer
        }
    }
}

actor SharedInboxDatabase {
    static let instance = SharedInboxDatabase()
    private var building: Task<InboxFixture, any Error>?

    func fixture() async throws -> InboxFixture {
        if let building { return try await building.value }
        let task = Task { try await Self.build() }
        building = task
        return try await task.value
    }

    private static func build() async throws -> InboxFixture {
        let logger = Logger(label: "InboxTests")
        let server = try await TemporaryPostgres.shared()
        let database = try await server.migratedServiceDatabase(
            service: "conversations", poolSize: 16, logger: logger)
        let keyRing = try KeyRing(configuration: "test:\(Base64.encode(SecureRandom.bytes(count: 32)))")

        let directory = FakeDirectory(), leads = FakeLeads(), agents = FakeAgents()
        let identityRouter = RPCRouter(service: Identity.Service.descriptor)
        directory.register(on: identityRouter)
        let crmRouter = RPCRouter(service: CRM.Service.descriptor)
        leads.register(on: crmRouter)
        let agentsRouter = RPCRouter(service: Agents.Service.descriptor)
        agents.register(on: agentsRouter)
        let identity = RPCInProcessClient(router: identityRouter)

        let provider = FakeProviderServer()
        try await provider.start()
        var delivery = DeliveryConfiguration()
        delivery.whatsAppBaseURL = provider.baseURL
        delivery.instagramBaseURL = provider.baseURL
        delivery.telegramBaseURL = provider.baseURL
        delivery.backoff = .milliseconds(20)
        delivery.maximumBackoff = .milliseconds(200)
        delivery.maxAttempts = 4
        delivery.httpTimeout = .seconds(2)
        delivery.sendingLease = .seconds(1)
        delivery.telegramChatInterval = .milliseconds(1500)
        // The first connection to the fake costs a while on a busy machine: make it now, not
        // inside a test's rate-limit window.
        _ = await ChannelProviders(configuration: delivery).send(
            ProviderRequest(kind: "text", recipient: "1", text: "warm-up"),
            credentials: ChannelCredentials(
                channelID: UUID(), organizationID: UUID(), type: "telegram", status: "active", deleted: false,
                botToken: "warm-up"))
        let wakeup = Wakeup()
        let sender = DeliveryWorker(
            database: database, providers: ChannelProviders(configuration: delivery),
            configuration: delivery, keyRing: keyRing, state: nil, logger: logger, wakeup: wakeup)
        let replies = ReplyWorker(
            database: database, agents: RPCInProcessClient(router: agentsRouter), identity: identity, state: nil,
            logger: logger, wakeup: Wakeup(), deliveryWakeup: wakeup)

        let router = RPCRouter(service: Conversations.Service.descriptor)
        ChannelHandlers(database: database, keyRing: keyRing, agents: nil, logger: logger).register(on: router)
        // The providers' status callbacks, for what they do to messages the inbox sent.
        let ingest = InboundIngest(
            database: database, crm: nil, planLimits: PlanLimitCache(identity: nil, logger: logger), logger: logger)
        WebhookHandlers(
            database: database, keyRing: keyRing, ingest: ingest, logger: logger, channels: CallbackChannels()
        )
        .register(on: router)
        InboxHandlers(
            database: database, identity: identity, crm: RPCInProcessClient(router: crmRouter), wakeup: wakeup,
            settings: OperatorSettingsCache(identity: identity, lifetime: .zero)
        ).register(on: router)
        return InboxFixture(
            database: database, client: RPCInProcessClient(router: router), directory: directory, leads: leads,
            agents: agents,
            provider: provider, sender: sender, replies: replies)
    }
}
