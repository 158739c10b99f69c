import Foundation
import Testing
@testable import PostgresTestSupport

@Suite struct PostgresTestSupportTests {
    @Test func missingServerProgramsFailWithTheInstallHint() {
        do {
            let found = try PostgresServerBinaries.locate(environment: ["PATH": "/nonexistent"], debianRoot: "/nonexistent")
            Issue.record("found server programs in \(found.directory.path)")
        } catch {
            #expect(error.description.contains("apt-get install -y postgresql libpq-dev"))
        }
    }

    @Test func explicitBinDirectoryMustHoldTheServerPrograms() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("atmp-empty-bin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: PostgresTestClusterError.self) {
            try PostgresServerBinaries.locate(environment: ["ATMP_PG_BINDIR": empty.path], debianRoot: "/nonexistent")
        }
    }

    @Test func connectionStringGetsTheNewDatabase() throws {
        let keywordForm = try PostgresTestCluster.connectionString(
            "host='/tmp/a b' port=5433 user=postgres dbname=postgres", replacingDatabaseWith: "case_1")
        #expect(keywordForm.contains("dbname='case_1'"))
        #expect(keywordForm.contains("host='/tmp/a b'"))
        #expect(!keywordForm.contains("dbname='postgres'"))
        let fromURI = try PostgresTestCluster.connectionString(
            "postgresql://atmp:s%27cret@db.example:6543/atmp?sslmode=require", replacingDatabaseWith: "case_2")
        #expect(fromURI.contains("dbname='case_2'"))
        #expect(fromURI.contains("password='s\\'cret'"))
        #expect(fromURI.contains("sslmode='require'"))
        #expect(throws: PostgresTestClusterError.self) {
            try PostgresTestCluster.connectionString("no_such_option=1", replacingDatabaseWith: "x")
        }
    }
}
