package dev.deployclaw.gates.core.ddl;

import dev.deployclaw.gates.core.dialect.DatabaseKind;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScriptSplitterQuotingTest {
    @Test
    void keepsSemicolonsInsideStringsCommentsQuotedNamesAndDollarQuotes() {
        String script = """
                -- a comment; with a semicolon
                create table "we;ird" (note text default 'a;b');
                /* block ; /* nested ; */ still comment */
                do $body$ begin perform 1; perform 2; end $body$;
                create function f() returns int language sql as $$ select 1; $$;
                insert into t values (E'it\\'s; fine');
                """;
        assertThat(ScriptSplitter.split(script, DatabaseKind.POSTGRESQL)).hasSize(4)
                .element(1).asString().startsWith("/* block").contains("do $body$ begin perform 1; perform 2; end $body$");
    }

    @Test
    void honoursTheMysqlDelimiterCommandAndHashComments() {
        String script = """
                # hash comment; here
                create table t (id int);
                DELIMITER //
                create trigger tr before insert on t for each row begin set new.id = 1; end//
                DELIMITER ;
                insert into t values ('a\\';b');
                """;
        assertThat(ScriptSplitter.split(script, DatabaseKind.MARIADB)).hasSize(3)
                .element(1).asString().startsWith("create trigger").endsWith("end");
    }

    @Test
    void refusesAnUnterminatedDollarQuoteNamingTheLine() {
        assertThatThrownBy(() -> ScriptSplitter.split("select 1;\ndo $$ begin", DatabaseKind.POSTGRESQL))
                .isInstanceOf(SqlParseException.class).hasMessage("unterminated dollar quote $$ starting at line 2");
    }

    @Test
    void refusesNulBytesAndUnterminatedStrings() {
        assertThatThrownBy(() -> ScriptSplitter.split("select '\u0000'", DatabaseKind.POSTGRESQL)).hasMessageContaining("NUL byte");
        assertThatThrownBy(() -> ScriptSplitter.split("select 'abc", DatabaseKind.POSTGRESQL))
                .hasMessage("unterminated string literal starting at line 1");
    }

    @Test
    void dropsStatementsHoldingOnlyComments() {
        assertThat(ScriptSplitter.split("-- nothing\n;\n/* x */;", DatabaseKind.POSTGRESQL)).isEmpty();
    }
}
