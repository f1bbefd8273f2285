package dev.deployclaw.gates.core.internal;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdentifiersTest {
    @ParameterizedTest
    @ValueSource(strings = {"acme\"; drop schema public cascade; --", "a;b", "a--b", "a/*b", "tenant name", "ac\u0441me",
            "t\u0000x", "1tenant", "a'b", "a`b", "a.b"})
    void rejectsHostileTenantNamesNamingTheField(String name) {
        assertThatThrownBy(() -> Identifiers.requireValidName("tenant", name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("tenant must contain only ASCII letters, digits and '_'");
    }

    @Test
    void explainsWhichCharacterIsWrong() {
        assertThatThrownBy(() -> Identifiers.requireValidName("tenant", "ac\u0441me"))
                .hasMessageContaining("'ac\\u0441me'").hasMessageContaining("non-ASCII character U+0441 at position 2");
    }

    @Test
    void rejectsEmptyAndOverLongNames() {
        assertThatThrownBy(() -> Identifiers.requireValidName("tenant", "")).hasMessage("tenant must not be empty, but was ''");
        assertThatThrownBy(() -> Identifiers.requireValidName("tenant", "t".repeat(64)))
                .hasMessageStartingWith("tenant must be at most 63 characters, but was 64 characters");
    }

    @Test
    void quotesByDoublingTheQuoteCharacter() {
        assertThat(Identifiers.quote("we\"ird", '"')).isEqualTo("\"we\"\"ird\"");
        assertThat(Identifiers.quote("we`ird", '`')).isEqualTo("`we``ird`");
        assertThatThrownBy(() -> Identifiers.quote("a\u0000", '"')).hasMessageContaining("NUL");
    }

    @Test
    void masksPasswordsInUrlsPropertiesAndSql() {
        assertThat(Secrets.mask("jdbc:postgresql://h/db?user=u&password=hunter2&ssl=true"))
                .isEqualTo("jdbc:postgresql://h/db?user=u&password=****&ssl=true");
        assertThat(Secrets.mask("postgres://u:hunter2@h/db")).isEqualTo("postgres://u:****@h/db");
        assertThat(Secrets.mask("ALTER ROLE x PASSWORD 'hunter2'")).isEqualTo("ALTER ROLE x PASSWORD '****'").doesNotContain("hunter2");
        assertThat(Secrets.mask("CREATE USER x IDENTIFIED BY 'hunter2'")).doesNotContain("hunter2");
    }
}
