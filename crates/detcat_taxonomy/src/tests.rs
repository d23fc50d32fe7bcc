use super::*;

#[test]
fn embedded_data_loads() {
    if let Err(e) = Taxonomy::load() {
        panic!("{e}");
    }
}
