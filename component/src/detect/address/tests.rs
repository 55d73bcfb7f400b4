use super::*;

fn run(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    find(text.as_bytes(), &mut out);
    out.iter()
        .map(|f| text[f.start..f.end].to_string())
        .collect()
}

#[test]
fn positives() {
    for (text, want) in [
        (
            "Ship to 123 Main St, Springfield, IL 62701 today",
            "123 Main St, Springfield, IL 62701",
        ),
        ("I live at 42 Oak Avenue.", "42 Oak Avenue"),
        (
            "at 1600 Pennsylvania Ave NW, Washington, DC 20500",
            "1600 Pennsylvania Ave NW, Washington, DC 20500",
        ),
        (
            "221B Baker Street, London NW1 6XE",
            "221B Baker Street, London NW1 6XE",
        ),
        (
            "office: 500 W 5th St., Suite 200, Austin, TX 78701",
            "500 W 5th St., Suite 200, Austin, TX 78701",
        ),
        ("send to P.O. Box 123", "P.O. Box 123"),
        (
            "at 350 Bay St, Toronto, ON M5H 2S6 today",
            "350 Bay St, Toronto, ON M5H 2S6",
        ),
        (
            "to 1 George St, Sydney NSW 2000 please",
            "1 George St, Sydney NSW 2000",
        ),
        (
            "address: 4 Privet Drive, Little Whinging, Surrey\n",
            "4 Privet Drive, Little Whinging, Surrey",
        ),
        ("12 Court Street", "12 Court Street"),
        (
            "{\"address\":\"77 Sunset Blvd Apt 4B\"}",
            "77 Sunset Blvd Apt 4B",
        ),
        ("9 Elm Rd #12, Portland, OR", "9 Elm Rd #12, Portland, OR"),
        (
            "4500 State Route 9, Lake George, NY 12845",
            "4500 State Route 9, Lake George, NY 12845",
        ),
        (
            "17 avenue Victor Hugo, 75016 Paris.",
            "17 avenue Victor Hugo, 75016 Paris",
        ),
        (
            "an Hauptstraße 5, 10115 Berlin senden",
            "Hauptstraße 5, 10115 Berlin",
        ),
        (
            "Spedire a Via Roma 10, 00184 Roma",
            "Via Roma 10, 00184 Roma",
        ),
        ("Damrak 1, 1012 LG Amsterdam", "Damrak 1, 1012 LG Amsterdam"),
        (
            "1 Angel Lane, London EC1A1BB",
            "1 Angel Lane, London EC1A1BB",
        ),
        ("{\"street\": \"7 The Maltings\"}", "7 The Maltings"),
    ] {
        assert_eq!(run(text), vec![want.to_string()], "{text:?}");
    }
}

#[test]
fn negatives() {
    for text in [
        "3 Main ideas",
        "version 2 Drive",
        "for i in 1..10 Street",
        "took 15 Minutes",
        "v1.2 Main Street",
        "at 12:30 Main St",
        "Box 12",
        "a 4 Wheel Drive",
        "Chapter 3 Main Street",
        "Er belegte Platz 3 im Rennen",
        "Via HTTP 2, the server",
        "{\"ip_address\": \"10.0.0.1\"}",
    ] {
        assert!(run(text).is_empty(), "{text:?}: {:?}", run(text));
    }
    let mut out = Vec::new();
    find(b"12 Main St, \xff\xe2\x80 5 Oak Rd", &mut out);
    assert_eq!(out.len(), 2);
}
