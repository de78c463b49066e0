import Contracts
import Foundation
import Postgres
import RPC
import Synchronization
import Testing

@testable import ConversationsService

@Suite("Inbox reads: filters, text search, cursor pages, lead and assignee names, isolation, roles")
struct InboxListTests {
    @Test("filters, Portuguese text search and cursor pages over the organization's conversations")
    func filtersSearchAndPages() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("telegram", for: admin)
        var ids: [UUID] = []
        for index in 0..<5 {
            ids.append(
                try await fixture.conversation(
                    on: channel, contactMessage: index == 2 ? "Quais são os preços dos planos?" : "mensagem \(index)"))
        }
        _ = try await fixture.call(
            Conversations.Service.takeOverConversation,
            Conversations.ConversationRequest(conversationId: ids[0].lowercased), as: admin)
        _ = try await fixture.call(
            Conversations.Service.updateConversation,
            Conversations.UpdateConversationRequest(
                conversationId: ids[1].lowercased, priority: "high", tags: ["vip"], setTags: true), as: admin)
        _ = try await fixture.call(
            Conversations.Service.closeConversation,
            Conversations.ConversationRequest(conversationId: ids[4].lowercased), as: admin)

        func list(_ request: Conversations.ListConversationsRequest) async throws -> [String] {
            try await fixture.call(Conversations.Service.listConversations, request, as: admin).conversations.map(\.id)
        }
        #expect(Set(try await list(.init())) == Set(ids.map(\.lowercased)))
        #expect(try await list(.init(mode: "human")) == [ids[0].lowercased])
        #expect(try await list(.init(assignedTo: "me")) == [ids[0].lowercased])
        #expect(try await list(.init(assignedTo: "none")).count == 4)
        #expect(try await list(.init(tag: "vip")) == [ids[1].lowercased])
        #expect(try await list(.init(priority: "high")) == [ids[1].lowercased])
        #expect(try await list(.init(status: "closed")) == [ids[4].lowercased])
        #expect(try await list(.init(channelId: channel.id)).count == 5)
        // "preço" finds "preços" through the portuguese configuration's stemming.
        #expect(try await list(.init(q: "preço")) == [ids[2].lowercased])

        var seen: [String] = []
        var cursor = ""
        repeat {
            let page = try await fixture.call(
                Conversations.Service.listConversations,
                Conversations.ListConversationsRequest(cursor: cursor, limit: 2), as: admin)
            #expect(page.conversations.count <= 2)
            seen += page.conversations.map(\.id)
            cursor = page.nextCursor
        } while !cursor.isEmpty
        #expect(seen.count == 5 && Set(seen) == Set(ids.map(\.lowercased)))

        for bad in [
            Conversations.ListConversationsRequest(status: "lost"), .init(limit: 101), .init(cursor: "not-a-cursor"),
            .init(assignedTo: "someone"), .init(channelId: "x"),
        ] {
            #expect(
                await fixture.failure {
                    try await fixture.call(Conversations.Service.listConversations, bad, as: admin)
                } == .invalidArgument)
        }
    }

    @Test("several filters at once with a cursor: each parameter lands where its filter is")
    func filtersCombinedWithCursor() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let telegram = try await fixture.channel("telegram", for: admin)
        let whatsapp = try await fixture.channel("whatsapp", for: admin)
        var matching: [UUID] = []
        for index in 0..<4 {
            matching.append(try await fixture.conversation(on: telegram, contactMessage: "preços do plano \(index)"))
        }
        let other = try await fixture.conversation(on: whatsapp, contactMessage: "preços")
        let closed = try await fixture.conversation(on: telegram, contactMessage: "preços")
        _ = try await fixture.call(
            Conversations.Service.closeConversation,
            Conversations.ConversationRequest(conversationId: closed.lowercased), as: admin)
        let silent = try await fixture.conversation(on: telegram, contactMessage: "olá")
        for id in matching + [other, closed, silent] {
            _ = try await fixture.call(
                Conversations.Service.updateConversation,
                Conversations.UpdateConversationRequest(
                    conversationId: id.lowercased, priority: "high", tags: ["vip"], setTags: true), as: admin)
        }
        var seen: [String] = []
        var cursor = ""
        repeat {
            let page = try await fixture.call(
                Conversations.Service.listConversations,
                Conversations.ListConversationsRequest(
                    status: "active", mode: "ai", assignedTo: "none", channelId: telegram.id, tag: "vip",
                    priority: "high", q: "preço", cursor: cursor, limit: 3), as: admin)
            seen += page.conversations.map(\.id)
            cursor = page.nextCursor
        } while !cursor.isEmpty
        #expect(seen.count == 4 && Set(seen) == Set(matching.map(\.lowercased)))
    }

    @Test("the list statement holds only the filters set, numbered in order, and its row count as a literal")
    func listStatementText() throws {
        let organization = UUID()
        let (plain, plainBinds) = InboxStore.listQuery(organizationID: organization, filter: .init(limit: 25))
        #expect(plain.sql.contains("WHERE a.organization_id = $1::uuid\n  AND c.organization_id = $1::uuid\nORDER BY"))
        #expect(plain.sql.contains("ORDER BY a.activity_at DESC, a.conversation_id DESC"))
        #expect(plain.sql.hasSuffix("LIMIT 26") && plainBinds.count == 1)
        var filter = InboxStore.Filter(limit: 3)
        filter.status = "active"
        filter.unassigned = true
        filter.tag = "vip"
        filter.search = "preço"
        filter.after = ("2026-01-01 00:00:00+00", organization)
        let (query, binds) = InboxStore.listQuery(organizationID: organization, filter: filter)
        #expect(query.sql.contains("c.status = $2::text"))
        #expect(query.sql.contains("c.assigned_to_user_id IS NULL"))
        #expect(query.sql.contains("c.tags ? $3::text"))
        #expect(query.sql.contains("plainto_tsquery('portuguese', $4::text)"))
        #expect(query.sql.contains("< ($5::timestamptz, $6::uuid)"))
        #expect(!query.sql.contains("$7") && !query.sql.contains("c.mode =") && query.sql.hasSuffix("LIMIT 4"))
        #expect(
            binds.map { $0.postgresBind.text } == [
                organization.lowercasedString, "active", "vip", "preço",
                "2026-01-01 00:00:00+00", organization.lowercasedString,
            ])
    }

    @Test("identity is asked for assignees' names only when a row of the page has an assignee")
    func assigneeNamesOnlyWhenAssigned() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        fixture.directory.users.withLock {
            $0[admin.organizationId] = [Identity.AssignableUser(id: admin.userId, fullName: "Ada Admin", role: "admin")]
        }
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        func page() async throws -> Conversations.InboxConversation? {
            try await fixture.call(
                Conversations.Service.listConversations, Conversations.ListConversationsRequest(), as: admin
            ).conversations.first
        }
        #expect(try await page()?.assignedToName == "")
        #expect(fixture.directory.calls.withLock { $0[admin.organizationId, default: 0] } == 0)
        _ = try await fixture.call(
            Conversations.Service.takeOverConversation,
            Conversations.ConversationRequest(conversationId: conversation.lowercased), as: admin)
        let before = fixture.directory.calls.withLock { $0[admin.organizationId, default: 0] }
        #expect(try await page()?.assignedToName == "Ada Admin")
        #expect(fixture.directory.calls.withLock { $0[admin.organizationId, default: 0] } == before + 1)
    }

    @Test("rows carry the summary fields: last message, lead name and temperature from crm, assignee name")
    func summaryFields() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let lead = UUID()
        fixture.leads.leads.withLock {
            $0[lead.lowercased] = CRM.Lead(
                id: lead.lowercased, organizationId: admin.organizationId, name: "Maria Souza", temperature: "hot")
        }
        fixture.directory.users.withLock {
            $0[admin.organizationId] = [Identity.AssignableUser(id: admin.userId, fullName: "Ada Admin", role: "admin")]
        }
        let conversation = try await fixture.conversation(
            on: try await fixture.channel("telegram", for: admin), contactMessage: "primeira", leadID: lead)
        try await fixture.contactSays("a última", in: conversation)
        _ = try await fixture.call(
            Conversations.Service.takeOverConversation,
            Conversations.ConversationRequest(conversationId: conversation.lowercased), as: admin)
        let row = try #require(
            try await fixture.call(
                Conversations.Service.listConversations, Conversations.ListConversationsRequest(), as: admin
            ).conversations.first)
        #expect(row.leadName == "Maria Souza" && row.leadTemperature == "hot")
        // The page asks crm for summaries, not whole leads.
        #expect(fixture.leads.wholeLeadCalls.withLock { $0 } == 0)
        #expect(row.assignedToName == "Ada Admin" && row.lastMessage == "a última")
        #expect(row.contactName == "Maria Souza" && row.channelType == "telegram" && row.messageCount == 2)
        #expect(row.unreadCount == 2)
        let read = try await fixture.call(
            Conversations.Service.markConversationRead,
            Conversations.ConversationRequest(conversationId: conversation.lowercased), as: admin)
        #expect(read.unreadCount == 0)
        // The count starts again from the read mark.
        try await fixture.contactSays("mais uma", in: conversation)
        let again = try #require(
            try await fixture.call(
                Conversations.Service.listConversations, Conversations.ListConversationsRequest(), as: admin
            ).conversations.first)
        #expect(again.unreadCount == 1 && again.lastMessage == "mais uma")
    }

    @Test("message pages neither skip nor repeat a message while new ones arrive")
    func messagePagesAreStable() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        for index in 0..<40 { try await fixture.contactSays("antiga \(index)", in: conversation) }
        let before = Set(
            try await fixture.database.query("SELECT id FROM messages WHERE conversation_id = $1", [conversation])
                .map { try $0.decode(UUID.self, "id").lowercased })

        let writer = Task {
            for index in 0..<30 {
                try await fixture.contactSays("nova \(index)", in: conversation)
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        var seen: [String] = []
        var cursor = ""
        repeat {
            let page = try await fixture.call(
                Conversations.Service.listMessages,
                Conversations.ListMessagesRequest(conversationId: conversation.lowercased, cursor: cursor, limit: 7),
                as: admin)
            seen += page.messages.map(\.id)
            cursor = page.nextCursor
            try await Task.sleep(for: .milliseconds(10))
        } while !cursor.isEmpty
        try await writer.value
        #expect(seen.count == Set(seen).count, "a message was repeated")
        #expect(before.isSubset(of: Set(seen)), "a message that existed before paging was skipped")
    }

    @Test("conversation pages never repeat a row while messages arrive; one without new activity shows exactly once")
    func conversationPagesAreStable() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("telegram", for: admin)
        var ids: [UUID] = []
        for index in 0..<24 { ids.append(try await fixture.conversation(on: channel, minutesAgo: 60 - index)) }
        // Every third conversation gets a message while the pages are read: it moves to the top.
        let busy = stride(from: 0, to: ids.count, by: 3).map { ids[$0] }
        let quiet = Set(ids.map(\.lowercased)).subtracting(busy.map(\.lowercased))
        let writer = Task {
            for conversation in busy {
                try await fixture.contactSays("mais uma", in: conversation)
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        var seen: [String] = []
        var cursor = ""
        repeat {
            let page = try await fixture.call(
                Conversations.Service.listConversations,
                Conversations.ListConversationsRequest(cursor: cursor, limit: 5), as: admin)
            seen += page.conversations.map(\.id)
            cursor = page.nextCursor
            try await Task.sleep(for: .milliseconds(10))
        } while !cursor.isEmpty
        try await writer.value
        #expect(seen.count == Set(seen).count, "a conversation was repeated")
        #expect(quiet.isSubset(of: Set(seen)), "a conversation without new activity was skipped")
    }

    @Test("another organization's conversation answers NOT_FOUND on every method")
    func tenantIsolation() async throws {
        let fixture = try await InboxFixture.shared()
        let owner = InboxFixture.newAdmin()
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: owner))
        let message = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Oi"), as: owner)
        let stranger = InboxFixture.newAdmin()
        let id = conversation.lowercased
        let request = Conversations.ConversationRequest(conversationId: id)
        let calls: [(String, @Sendable () async throws -> Void)] = [
            ("get", { _ = try await fixture.call(Conversations.Service.getConversation, request, as: stranger) }),
            (
                "messages",
                {
                    _ = try await fixture.call(
                        Conversations.Service.listMessages, .init(conversationId: id), as: stranger)
                }
            ),
            (
                "timeline",
                {
                    _ = try await fixture.call(
                        Conversations.Service.listConversationTimeline, .init(conversationId: id), as: stranger)
                }
            ),
            (
                "send",
                {
                    _ = try await fixture.call(
                        Conversations.Service.sendOperatorMessage, .init(conversationId: id, content: "x"),
                        as: stranger)
                }
            ),
            (
                "retry",
                {
                    _ = try await fixture.call(
                        Conversations.Service.retryMessage, .init(conversationId: id, messageId: message.id),
                        as: stranger)
                }
            ),
            ("read", { _ = try await fixture.call(Conversations.Service.markConversationRead, request, as: stranger) }),
            (
                "takeover",
                { _ = try await fixture.call(Conversations.Service.takeOverConversation, request, as: stranger) }
            ),
            (
                "handback",
                { _ = try await fixture.call(Conversations.Service.handBackConversation, request, as: stranger) }
            ),
            ("close", { _ = try await fixture.call(Conversations.Service.closeConversation, request, as: stranger) }),
            ("reopen", { _ = try await fixture.call(Conversations.Service.reopenConversation, request, as: stranger) }),
            (
                "update",
                {
                    _ = try await fixture.call(
                        Conversations.Service.updateConversation, .init(conversationId: id, priority: "low"),
                        as: stranger)
                }
            ),
        ]
        for (name, call) in calls {
            #expect(await fixture.failure { try await call() } == .notFound, "\(name)")
        }
        // Whoever the target user is, the conversation is still not theirs.
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.transferConversation, .init(conversationId: id, userId: stranger.userId),
                    as: stranger)
            } == .notFound)
        let listed = try await fixture.call(
            Conversations.Service.listConversations, Conversations.ListConversationsRequest(), as: stranger)
        #expect(listed.conversations.isEmpty)
        #expect(try await fixture.inbox(conversation, as: owner).priority == "normal")
    }

    @Test("roles and API key scopes: read needs conversations:read, changes need conversations:write")
    func permissions() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        let id = conversation.lowercased
        let consultant = InboxFixture.colleague(of: admin, role: "consultant")
        #expect(try await fixture.inbox(conversation, as: consultant).id == id)
        _ = try await fixture.call(
            Conversations.Service.takeOverConversation, .init(conversationId: id), as: consultant)

        var readOnlyKey = InboxFixture.colleague(of: admin, role: "admin")
        readOnlyKey.apiKeyId = "key-1"
        readOnlyKey.scopes = ["conversations:read"]
        #expect(try await fixture.inbox(conversation, as: readOnlyKey).id == id)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.closeConversation, .init(conversationId: id), as: readOnlyKey)
            } == .permissionDenied)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.sendOperatorMessage, .init(conversationId: id, content: "x"), as: readOnlyKey)
            } == .permissionDenied)
        var leadsKey = readOnlyKey
        leadsKey.scopes = ["leads:read"]
        #expect(await fixture.failure { try await fixture.inbox(conversation, as: leadsKey) } == .permissionDenied)
        #expect(
            await fixture.failure {
                try await fixture.call(Conversations.Service.listConversations, .init(), as: leadsKey)
            } == .permissionDenied)
        let nobody = Principal(organizationId: admin.organizationId, userId: UUID().lowercased, role: "visitor")
        #expect(await fixture.failure { try await fixture.inbox(conversation, as: nobody) } == .permissionDenied)
        #expect(
            await fixture.failure {
                try await fixture.call(Conversations.Service.getConversation, .init(conversationId: id))
            } == .unauthenticated)
    }
}
