package io.pneuknow.evaluate;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;

/**
 * The localisation figures of one class: patient-level intervals over its annotated images, or why
 * there are none (too few annotated images). Written to JSON as an object of the figures, or as the
 * reason's text, and read back from either (summary.json).
 */
@JsonDeserialize(using = ClassLocalisation.Reader.class)
public sealed interface ClassLocalisation {

    /**
     * Mean scores over a class's annotated images with patient-level 95% intervals.
     *
     * @param images annotated images of the class that were scored
     */
    @JsonDeserialize(using = JsonDeserializer.None.class)
    record Scored(int images, Interval energy, Interval hitRate, Interval iou, Interval auprc)
            implements ClassLocalisation {
    }

    /**
     * No figures for the class, and why.
     *
     * @param reason e.g. "too few annotated images (3 &lt; 10)"
     */
    @JsonDeserialize(using = JsonDeserializer.None.class)
    record TooFew(@JsonValue String reason) implements ClassLocalisation {
    }

    /** Reads a class's figures from JSON: a text is the reason there are none, an object the figures. */
    final class Reader extends StdDeserializer<ClassLocalisation> {
        Reader() {
            super(ClassLocalisation.class);
        }

        @Override
        public ClassLocalisation deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            JsonNode node = parser.readValueAsTree();
            if (node.isTextual()) {
                return new TooFew(node.asText());
            }
            return context.readTreeAsValue(node, Scored.class);
        }
    }
}
