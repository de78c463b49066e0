import HTTPTypes
import RPC
import Testing

@testable import GatewayService

@Suite("The gateway's one mapping from RPC status to HTTP status")
struct APIErrorTests {
    @Test(
        "each RPC status has its HTTP status and a snake_case code",
        arguments: [
            (RPCError.Code.invalidArgument, 400, "invalid_argument"),
            (.outOfRange, 400, "out_of_range"),
            (.failedPrecondition, 400, "failed_precondition"),
            (.unauthenticated, 401, "unauthenticated"),
            (.permissionDenied, 403, "permission_denied"),
            (.notFound, 404, "not_found"),
            (.alreadyExists, 409, "already_exists"),
            (.aborted, 409, "aborted"),
            (.resourceExhausted, 429, "resource_exhausted"),
            (.cancelled, 499, "cancelled"),
            (.unknown, 500, "unknown"),
            (.internalError, 500, "internal"),
            (.dataLoss, 500, "data_loss"),
            (.unimplemented, 501, "unimplemented"),
            (.unavailable, 503, "unavailable"),
            (.deadlineExceeded, 504, "deadline_exceeded"),
        ])
    func mapping(code: RPCError.Code, status: Int, name: String) {
        let error = APIError(RPCError(code, "safe message"))
        #expect(error.status.code == status)
        #expect(error.code == name)
        #expect(error.message == "safe message")
    }

    @Test("every RPC status is mapped to a 4xx or 5xx")
    func complete() {
        for code in RPCError.Code.allCases {
            #expect((400..<600).contains(APIError.status(for: code).code))
        }
    }

    @Test(
        "a client's X-Request-Id is kept only when it is short, visible ASCII",
        arguments: [
            ("trace-4242", true), ("", false), ("has space", false), ("tab\tin", false),
            (String(repeating: "a", count: 128), true), (String(repeating: "a", count: 129), false), ("ção", false),
        ])
    func requestIDs(id: String, accepted: Bool) {
        #expect(RequestIDMiddleware.isAcceptable(id) == accepted)
    }
}
