// kgbuild graph (format version 1): 4 entities, 2 relations.
// Load with: cypher-shell -f graph.cypher
CREATE CONSTRAINT kgbuild_entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;
MERGE (d:Document {id: 'a.txt'}) SET d.chars = 60;
MERGE (n:Entity {id: 'ann-o-hara'}) SET n:Person, n.name = 'Ann O\'Hara', n.type = 'Person', n.aliases = [], n.mention_doc = ['a.txt'], n.mention_start = [0], n.mention_end = [10], n.mention_text = ['Ann O\'Hara'], n.mention_via = [''];
MERGE (n:Entity {id: 'bo-li'}) SET n:Person, n.name = 'Bo \"B\" Li', n.type = 'Person', n.aliases = ['Li'], n.mention_doc = ['a.txt'], n.mention_start = [15], n.mention_end = [24], n.mention_text = ['Bo \"B\" Li'], n.mention_via = [''];
MERGE (n:Entity {id: 'paris'}) SET n:Location, n.name = 'Paris', n.type = 'Location', n.subtype = 'city', n.aliases = [], n.mention_doc = ['a.txt'], n.mention_start = [33], n.mention_end = [38], n.mention_text = ['Paris'], n.mention_via = [''];
MERGE (n:Entity {id: 'acme'}) SET n:Organization, n.name = 'Acme <&> Co', n.type = 'Organization', n.aliases = [], n.mention_doc = ['a.txt'], n.mention_start = [45], n.mention_end = [56], n.mention_text = ['Acme <&> Co'], n.mention_via = [''];
MATCH (a:Entity {id: 'ann-o-hara'}), (b:Entity {id: 'bo-li'}) MERGE (a)-[r:MET_WITH {predicate: 'met_with'}]->(b) SET r.key = 0, r.symmetric = true, r.background = false, r.date = '2025-03-01', r.location = 'paris', r.evidence_doc = ['a.txt'], r.evidence_start = [0], r.evidence_end = [60], r.evidence_text = ['Ann O\'Hara and Bo \"B\" Li met in Paris.\nAcme <&> Co'], r.evidence_rule = ['meeting.x_and_y_met'];
MATCH (a:Entity {id: 'bo-li'}), (b:Entity {id: 'acme'}) MERGE (a)-[r:SPOKESMAN_OF {predicate: 'spokesman_of'}]->(b) SET r.key = 0, r.symmetric = false, r.background = false, r.evidence_doc = ['a.txt'], r.evidence_start = [0], r.evidence_end = [60], r.evidence_text = ['Ann O\'Hara and Bo \"B\" Li met in Paris.\nAcme <&> Co'], r.evidence_rule = ['role.org_title_person'];
