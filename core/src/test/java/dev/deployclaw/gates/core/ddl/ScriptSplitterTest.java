package dev.deployclaw.gates.core.ddl;

import dev.deployclaw.gates.core.dialect.DatabaseKind;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScriptSplitterTest {
    private static List<String> pg(String s) {
        return ScriptSplitter.split(s, DatabaseKind.POSTGRESQL);
    }

    private static List<String> maria(String s) {
        return ScriptSplitter.split(s, DatabaseKind.MARIADB);
    }

    @Test
    void semicolonsInsideStringsIdentifiersDollarQuotesAndCommentsDoNotSplit() {
        List<String> s = pg("select 'a;b', \"c;d\", $$x;y$$, $t$ $$ ; $t$ /* a; /* nested; */ b; */;\n"
                + "-- c;\nselect E'it\\'s;'; select 1");
        assertThat(s).hasSize(3);
        assertThat(s.get(1)).startsWith("-- c;").endsWith("select E'it\\'s;'");
    }

    @Test
    void aDoBlockIsOneStatement() {
        assertThat(pg("DO $$ BEGIN UPDATE t SET a = 1; DELETE FROM t; END $$; select 1")).hasSize(2);
    }

    @Test
    void aSqlStandardFunctionBodyIsOneStatement() {
        List<String> s = pg("CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1"
                + " ELSE 0 END; SELECT 2; END; drop table t;");
        assertThat(s).hasSize(2);
        assertThat(s.get(0)).endsWith("SELECT 2; END");
        assertThat(s.get(1)).isEqualTo("drop table t");
    }

    @Test
    void mysqlDelimiterAndHashCommentsAndBackslashEscapes() {
        List<String> s = maria("DELIMITER //\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END//\n"
                + "DELIMITER ;\n# c;\nselect 'a\\';b', `x;y`; select 2");
        assertThat(s).hasSize(3);
        assertThat(s.get(0)).endsWith("END");
    }

    @Test
    void aMysqlProcedureWithoutADelimiterChangeIsOneStatement() {
        List<String> s = maria("CREATE PROCEDURE p() BEGIN DECLARE x INT; IF x > 0 THEN SET x = CASE WHEN x > 1 THEN 2"
                + " ELSE 3 END; END IF; lbl: BEGIN SELECT 1; END; END;\nDROP TABLE t; START TRANSACTION; BEGIN; COMMIT;");
        assertThat(s).hasSize(5);
        assertThat(s.get(1)).isEqualTo("DROP TABLE t");
        assertThat(s.get(3)).isEqualTo("BEGIN");
    }

    @Test
    void unterminatedConstructsAreErrorsNamingTheLine() {
        assertThatThrownBy(() -> pg("select 1;\nselect 'abc")).hasMessageContaining("unterminated string literal")
                .hasMessageContaining("line 2");
        assertThatThrownBy(() -> pg("DO $$ begin")).hasMessageContaining("unterminated dollar quote $$");
        assertThatThrownBy(() -> pg("select 1 /* x")).hasMessageContaining("unterminated /* comment");
        assertThatThrownBy(() -> maria("CREATE PROCEDURE p() BEGIN SELECT 1;")).hasMessageContaining("unterminated BEGIN");
    }

    @Test
    void aCommentOnTheSameLineAfterTheSemicolonBelongsToThatStatement() {
        List<String> s = pg("create index a on t (x); -- deployclaw:allow create-index-blocking t is tiny\n"
                + "create index b on t (y);");
        assertThat(s).containsExactly("create index a on t (x) -- deployclaw:allow create-index-blocking t is tiny",
                "create index b on t (y)");
    }

    @Test
    void commentsBeforeAStatementStayWithItForOverrides() {
        List<String> s = pg("-- deployclaw:allow drop-table obsolete since 2024\ndrop table old;\n-- only a comment\n");
        assertThat(s).containsExactly("-- deployclaw:allow drop-table obsolete since 2024\ndrop table old");
    }
}
