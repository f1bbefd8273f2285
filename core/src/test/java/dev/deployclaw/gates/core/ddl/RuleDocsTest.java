package dev.deployclaw.gates.core.ddl;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class RuleDocsTest {
    @Test
    void everyRuleHasItsOwnPageThatStatesItsSafeAlternative() throws IOException {
        Path dir = Path.of("..", "docs", "rules");
        for (DdlRule r : DdlRules.defaults()) {
            Path page = dir.resolve(r.id() + ".md");
            assertThat(page).as("docs page of " + r.id()).exists();
            String md = Files.readString(page);
            assertThat(md).startsWith("# " + r.id()).contains(r.safeAlternative()).contains(r.serverBehaviour())
                    .contains("-- deployclaw:allow " + r.id());
        }
    }
}
