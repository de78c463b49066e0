import Configuration
import Foundation
import Logging
import Postgres
import Testing

@testable import ServiceKit

@Suite("Service configuration from SMARTERCHAT_* variables")
struct ServiceConfigurationTests {
    static func configuration(_ environment: [String: String], service: String = "crm") -> ServiceConfiguration {
        ServiceConfiguration(
            service: service,
            reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
    }

    @Test("defaults are the documented ones")
    func defaults() {
        let configuration = Self.configuration([:])
        #expect(configuration.runDirectory == FileManager.default.currentDirectoryPath + "/.run")
        #expect(configuration.replica == 1)
        #expect(configuration.socketPath.hasSuffix("/.run/crm.1.sock"))
        #expect(configuration.instance == "crm.1")
        #expect(configuration.database.user == "smarterchat_crm")
        #expect(configuration.database.database == "smarterchat")
        #expect(configuration.database.port == 5432)
        #expect(configuration.database.poolSize == 4)
        // The busy services get more connections by default; the variable still rules.
        #expect(Self.configuration([:], service: "conversations").database.poolSize == 16)
        #expect(Self.configuration([:], service: "agents").database.poolSize == 8)
        #expect(Self.configuration(["SMARTERCHAT_PG_POOL_SIZE": "5"], service: "conversations").database.poolSize == 5)
        #expect(configuration.database.password == nil)
        #expect(configuration.logLevel == .info)
        #expect(configuration.logFormat == .text)
        #expect(configuration.allowedUIDs.isEmpty)
    }

    @Test("every variable is read")
    func overrides() {
        let configuration = Self.configuration([
            "SMARTERCHAT_RUN_DIR": "/run/smarterchat",
            "SMARTERCHAT_REPLICA": "3",
            "SMARTERCHAT_PG_HOST": "/var/run/postgresql",
            "SMARTERCHAT_PG_PORT": "6543",
            "SMARTERCHAT_PG_DATABASE": "prod",
            "SMARTERCHAT_PG_USER": "crm_owner",
            "SMARTERCHAT_PG_PASSWORD": "s3cret",
            "SMARTERCHAT_PG_POOL_SIZE": "9",
            "SMARTERCHAT_LOG_LEVEL": "debug",
            "SMARTERCHAT_LOG_FORMAT": "json",
            "SMARTERCHAT_ALLOWED_UIDS": "1000, 1001",
            "SMARTERCHAT_ALLOWED_GIDS": "50",
        ])
        #expect(configuration.socketPath == "/run/smarterchat/crm.3.sock")
        #expect(configuration.database.endpoint == .unixSocket(directory: "/var/run/postgresql"))
        #expect(configuration.database.port == 6543)
        #expect(configuration.database.database == "prod")
        #expect(configuration.database.user == "crm_owner")
        #expect(configuration.database.password == "s3cret")
        #expect(configuration.database.poolSize == 9)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .json)
        #expect(configuration.allowedUIDs == [1000, 1001])
        #expect(configuration.allowedGIDs == [50])
    }

    @Test("a host name selects TCP, a path a Unix socket made absolute")
    func endpoints() {
        #expect(
            Self.configuration(["SMARTERCHAT_PG_HOST": "db.internal"]).database.endpoint == .tcp(host: "db.internal"))
        let relative = Self.configuration(["SMARTERCHAT_PG_HOST": "./.data"]).database.endpoint
        #expect(relative == .unixSocket(directory: FileManager.default.currentDirectoryPath + "/.data"))
    }

    @Test("the database password never shows in the configuration's description")
    func passwordHidden() {
        let configuration = Self.configuration(["SMARTERCHAT_PG_PASSWORD": "hunter2-very-secret"])
        #expect(!"\(configuration.database)".contains("hunter2"))
    }
}
