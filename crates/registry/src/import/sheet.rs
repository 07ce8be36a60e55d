//! Reading a person sheet: .xlsx through calamine, .csv (UTF-8 or GB18030, as Excel saves
//! it in China) through csv; cells normalised to text; the header row found by its names.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};
use kernel::i18n::{Lang, Tr};

use super::{Column, COLUMNS};
use crate::category::model::FieldDef;
use crate::person::PersonInput;

/// Why a file cannot be read; each is a catalogue key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SheetError {
    NotSpreadsheet,
    Encrypted,
    Corrupt,
    TooLarge,
    /// Unpacks to more than a sheet can hold (a zip bomb)
    Bomb,
    NoHeader,
}

impl SheetError {
    pub fn key(self) -> &'static str {
        match self {
            SheetError::NotSpreadsheet => "import.not_spreadsheet",
            SheetError::Encrypted => "import.encrypted",
            SheetError::Corrupt => "import.corrupt",
            SheetError::TooLarge => "import.too_large",
            SheetError::Bomb => "import.bomb",
            SheetError::NoHeader => "import.no_header",
        }
    }
}

/// Largest file accepted (a million rows of persons fit in well under this).
pub const MAX_BYTES: usize = 200 * 1024 * 1024;

/// Largest part of an .xlsx unpacked: a worksheet (read as a stream), and any other part
/// (shared strings, styles: held in memory by the reader). A million-person ledger with
/// every ID, phone and address as text unpacks to some 150 MB of shared strings.
const MAX_SHEET_UNPACKED: u64 = 4 << 30;
const MAX_PART_UNPACKED: u64 = 512 << 20;
/// Longest run of XML between two angle brackets: a cell holds at most 32,767 characters
/// in Excel (up to 4 bytes each), so a longer text or attribute is not a real sheet but
/// a bomb, refused before anything holds it.
const MAX_RUN: usize = 4 * 32_767;

/// Unpacks every part of an .xlsx as a stream into a small buffer and refuses the file
/// when a part is larger than it may be or holds a text longer than a cell can. Nothing is
/// kept, so a bomb (a few hundred KB that unpack to gigabytes) costs its reading time and
/// no memory.
fn check_xlsx(bytes: &[u8]) -> Result<(), SheetError> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::Corrupt)?;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(|_| SheetError::Corrupt)?;
        let limit = if part.name().starts_with("xl/worksheets/") {
            MAX_SHEET_UNPACKED
        } else {
            MAX_PART_UNPACKED
        };
        if part.size() > limit {
            return Err(SheetError::Bomb);
        }
        let mut part = part.take(limit + 1);
        let (mut total, mut run) = (0u64, 0usize);
        loop {
            let n = part.read(&mut buf).map_err(|_| SheetError::Corrupt)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limit {
                return Err(SheetError::Bomb);
            }
            let chunk = &buf[..n];
            let mut from = 0;
            for at in memchr::memchr2_iter(b'<', b'>', chunk) {
                run += at - from;
                if run > MAX_RUN {
                    return Err(SheetError::Bomb);
                }
                run = 0;
                from = at + 1;
            }
            run += n - from;
            if run > MAX_RUN {
                return Err(SheetError::Bomb);
            }
        }
    }
    Ok(())
}

/// One cell as text; dates in date columns come as `YYYY-MM-DD`. Read from the cell as
/// the reader gives it: a shared string is copied once, trimmed.
fn cell_text(d: &DataRef) -> String {
    match d {
        DataRef::String(s) => s.trim().to_string(),
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => kernel::time::from_excel_serial(dt.as_f64())
            .map(kernel::time::iso_date)
            .unwrap_or_default(),
        DataRef::DateTimeIso(s) => s.chars().take(10).collect(),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// The rows of the first sheet of a file, as text, in memory (row `i` is the sheet's row
/// `i + 1`).
pub fn read(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    let mut rows = Vec::new();
    each_row(
        bytes,
        |_| {},
        |_, row| {
            rows.push(row);
            true
        },
    )?;
    Ok(rows)
}

/// Hands the rows of the first sheet of a file to `row` in order, with the row number the
/// sheet shows (1-based; empty rows included), without holding the sheet in memory;
/// `row` returns false to stop. `rows_hint` is told first about how many rows there are
/// (the sheet's own dimension, or the lines of a CSV), to show progress.
pub fn each_row(
    bytes: &[u8],
    rows_hint: impl FnOnce(usize),
    mut row: impl FnMut(usize, Vec<String>) -> bool,
) -> Result<(), SheetError> {
    if bytes.len() > MAX_BYTES {
        return Err(SheetError::TooLarge);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        check_xlsx(bytes)?;
        let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| SheetError::Corrupt)?;
        let name = wb
            .sheet_names()
            .first()
            .cloned()
            .ok_or(SheetError::Corrupt)?;
        let mut cells = wb
            .worksheet_cells_reader(&name)
            .map_err(|_| SheetError::Corrupt)?;
        rows_hint(cells.dimensions().end.0 as usize + 1);
        // Cells come row by row; a merged cell carries its value in its first cell only.
        let mut current: Vec<String> = Vec::new();
        let mut width = 0;
        let mut at = 0usize;
        while let Some(cell) = cells.next_cell().map_err(|_| SheetError::Corrupt)? {
            let (r, c) = cell.get_position();
            let (r, c) = (r as usize, c as usize);
            while at < r {
                width = width.max(current.len());
                let next = Vec::with_capacity(width);
                if !row(at + 1, std::mem::replace(&mut current, next)) {
                    return Ok(());
                }
                at += 1;
            }
            let text = cell_text(cell.get_value());
            if !text.is_empty() {
                if current.len() <= c {
                    current.resize(c + 1, String::new());
                }
                current[c] = text;
            }
        }
        if !current.is_empty() {
            row(at + 1, current);
        }
        return Ok(());
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        // OLE2: a password-protected .xlsx, or an old .xls.
        return Err(SheetError::Encrypted);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t.trim_start_matches('\u{feff}')),
        Err(_) => {
            let (t, _, bad) = encoding_rs::GB18030.decode(bytes);
            if bad {
                return Err(SheetError::NotSpreadsheet);
            }
            t
        }
    };
    if text.contains('\0') {
        return Err(SheetError::NotSpreadsheet);
    }
    rows_hint(text.lines().count());
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|_| SheetError::Corrupt)?;
        if !row(i + 1, rec.iter().map(|c| c.trim().to_string()).collect()) {
            break;
        }
    }
    Ok(())
}

/// The header text of a column in every language, with the `*` of required columns and
/// spaces taken out.
fn header_names() -> Vec<(Column, String)> {
    let mut out = Vec::new();
    for lang in Lang::ALL {
        let tr = Tr::new(lang);
        for (col, key) in COLUMNS {
            out.push((col, normalise_header(tr.s(key))));
            // Other names people give the column (`import.alias_<field>`, `|`-separated).
            let alias_key = format!("import.alias_{}", key.trim_start_matches("person."));
            for a in tr.s(&alias_key).split('|') {
                out.push((col, normalise_header(a)));
            }
        }
    }
    out
}

fn normalise_header(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '＊')
        .collect::<String>()
        .to_lowercase()
}

/// Which column of a sheet holds what: the person's columns, and the attributes of the
/// group the sheet is a ledger of (by their labels), with the header row's index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub header: usize,
    pub cols: HashMap<Column, usize>,
    /// Attribute key -> column.
    pub attrs: Vec<(String, usize)>,
}

/// A data row: the person, and the attributes of the group by key (empty without one).
#[derive(Clone, Debug, Default)]
pub struct RowInput {
    pub person: PersonInput,
    pub attrs: HashMap<String, String>,
}

/// Where the header row is and which column holds what: the first of the top 20 rows
/// that names the name and residence columns. `fields` are the attributes of the group
/// the sheet is a ledger of, found by their Chinese or English labels.
pub fn find_header(rows: &[Vec<String>], fields: &[FieldDef]) -> Result<Layout, SheetError> {
    let names = header_names();
    for (i, row) in rows.iter().enumerate().take(20) {
        let mut cols = HashMap::new();
        let mut attrs: Vec<(String, usize)> = Vec::new();
        for (c, cell) in row.iter().enumerate() {
            let h = normalise_header(cell);
            if h.is_empty() {
                continue;
            }
            if let Some((col, _)) = names.iter().find(|(_, n)| *n == h) {
                cols.entry(*col).or_insert(c);
            } else if let Some(f) = fields
                .iter()
                .find(|f| normalise_header(&f.label_zh) == h || normalise_header(&f.label_en) == h)
            {
                if !attrs.iter().any(|(k, _)| *k == f.key) {
                    attrs.push((f.key.clone(), c));
                }
            }
        }
        if cols.contains_key(&Column::Name) && cols.contains_key(&Column::UnitCode) {
            return Ok(Layout {
                header: i,
                cols,
                attrs,
            });
        }
    }
    Err(SheetError::NoHeader)
}

/// The data rows with their row numbers as the spreadsheet shows them (1-based); empty
/// rows are skipped.
pub fn inputs(rows: Vec<Vec<String>>, layout: &Layout) -> Vec<(usize, RowInput)> {
    rows.into_iter()
        .enumerate()
        .skip(layout.header + 1)
        .filter_map(|(i, r)| input_of(r, layout).map(|p| (i + 1, p)))
        .collect()
}

/// One row (its cells moved, not copied); none for an empty row.
pub fn input_of(mut row: Vec<String>, layout: &Layout) -> Option<RowInput> {
    if row.iter().all(|c| c.trim().is_empty()) {
        return None;
    }
    let mut attrs = HashMap::new();
    for (key, c) in &layout.attrs {
        if let Some(v) = row.get_mut(*c).map(std::mem::take) {
            attrs.insert(key.clone(), v);
        }
    }
    let mut get = |c: Column| -> String {
        layout
            .cols
            .get(&c)
            .and_then(|i| row.get_mut(*i))
            .map(std::mem::take)
            .unwrap_or_default()
    };
    let person = PersonInput {
        name: get(Column::Name),
        id_number: get(Column::IdNumber),
        sex: get(Column::Sex),
        birth_date: get(Column::BirthDate),
        ethnicity: get(Column::Ethnicity),
        phone: get(Column::Phone),
        unit_code: get(Column::UnitCode),
        hukou_code: get(Column::HukouCode),
        address: get(Column::Address),
        notes: get(Column::Notes),
        restricted: false,
        version: None,
    };
    Some(RowInput { person, attrs })
}

/// The name of an .xlsx file's first sheet (a group's template is named after the group).
pub fn first_sheet_name(bytes: &[u8]) -> Option<String> {
    if !bytes.starts_with(b"PK\x03\x04") || check_xlsx(bytes).is_err() {
        return None;
    }
    let wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).ok()?;
    wb.sheet_names().first().map(|n| n.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{Formula, Workbook};

    /// The process's peak resident memory so far, in bytes.
    fn peak_rss() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    }

    #[test]
    fn a_shared_string_bomb_is_refused_without_being_unpacked() {
        use std::io::Write;
        // A workbook whose one shared string unpacks to 300 MB from a few hundred KB.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1));
        zip.start_file("xl/sharedStrings.xml", opts).unwrap();
        zip.write_all(br#"<?xml version="1.0"?><sst count="1" uniqueCount="1"><si><t>"#)
            .unwrap();
        let chunk = vec![b'A'; 1 << 20];
        for _ in 0..300 {
            zip.write_all(&chunk).unwrap();
        }
        zip.write_all(b"</t></si></sst>").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        drop(chunk);
        assert!(bytes.len() < 4 << 20, "{} bytes", bytes.len());
        let before = peak_rss();
        let started = std::time::Instant::now();
        assert_eq!(read(&bytes), Err(SheetError::Bomb));
        let grown = peak_rss().saturating_sub(before);
        assert!(grown < 32 << 20, "peak memory grew by {grown} bytes");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // A part larger than any sheet's is refused by its unpacked size alone.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("xl/styles.xml", opts).unwrap();
        let line = b"<a></a>".repeat(1 << 16);
        for _ in 0..((MAX_PART_UNPACKED as usize / line.len()) + 1) {
            zip.write_all(&line).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        assert_eq!(read(&bytes), Err(SheetError::Bomb));
    }

    #[test]
    fn files_over_the_limit_are_refused_with_their_message() {
        // Zeroed memory the reader must not touch: the size is checked first.
        let big = vec![0u8; MAX_BYTES + 1];
        let seen = each_row(&big, |_| {}, |_, _| true);
        assert_eq!(seen, Err(SheetError::TooLarge));
        assert_eq!(
            kernel::i18n::Tr::default().s(SheetError::TooLarge.key()),
            "文件超过 200 MB 的上限，请拆分后分批导入。"
        );
    }

    /// A sheet as people send them: a merged title, a header with `*`, numbers stored as
    /// numbers and as text, serial and text dates, spaces, an empty row, a formula.
    fn messy() -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.merge_range(
            0,
            0,
            0,
            9,
            "塘渡口镇2023年留守妇女花名册",
            &rust_xlsxwriter::Format::new(),
        )
        .unwrap();
        let headers = [
            "序号",
            "姓名*",
            "身份证号",
            "性别",
            "出生日期",
            "民族",
            "联系电话",
            "居住地（村/社区代码）*",
            "备注",
        ];
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(1, c as u16, *h).unwrap();
        }
        ws.write_number(2, 0, 1).unwrap();
        ws.write_string(2, 1, "王秀英  ").unwrap();
        ws.write_string(2, 2, "11010519491231002X").unwrap();
        ws.write_number(2, 6, 13812345678.0).unwrap();
        ws.write_number(2, 7, 430523100001.0).unwrap();
        // Row 4 empty.
        ws.write_number(4, 0, 2).unwrap();
        ws.write_string(4, 1, "李梅").unwrap();
        ws.write_string(4, 3, "女").unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2015, 3, 8).unwrap();
        ws.write_datetime_with_format(
            4,
            4,
            &date,
            &rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd"),
        )
        .unwrap();
        ws.write_string(4, 7, "430523100001 ").unwrap();
        ws.write_formula(
            4,
            8,
            Formula::new("=\"留守\"&\"儿童\"").set_result("留守儿童"),
        )
        .unwrap();
        ws.write_number(5, 0, 3).unwrap();
        ws.write_string(5, 1, "张兰").unwrap();
        ws.write_string(5, 3, "女").unwrap();
        ws.write_string(5, 4, "1980年1月2日").unwrap();
        ws.write_string(5, 5, "苗族").unwrap();
        ws.write_string(5, 7, "430523100002").unwrap();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn reads_a_messy_sheet() {
        let rows = read(&messy()).unwrap();
        let layout = find_header(&rows, &[]).unwrap();
        assert_eq!(layout.header, 1);
        assert_eq!(layout.cols[&Column::Name], 1);
        assert_eq!(layout.cols[&Column::UnitCode], 7);
        let inputs: Vec<(usize, PersonInput)> = inputs(rows, &layout)
            .into_iter()
            .map(|(n, r)| (n, r.person))
            .collect();
        let numbers: Vec<usize> = inputs.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            numbers,
            vec![3, 5, 6],
            "spreadsheet row numbers; the empty row skipped"
        );
        let first = &inputs[0].1;
        assert_eq!(first.name, "王秀英");
        assert_eq!(first.phone, "13812345678");
        assert_eq!(first.unit_code, "430523100001");
        let second = &inputs[1].1;
        assert_eq!(second.birth_date, "2015-03-08");
        assert_eq!(second.unit_code, "430523100001");
        assert_eq!(second.notes, "留守儿童");
        assert_eq!(inputs[2].1.ethnicity, "苗族");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        for (_, i) in &inputs {
            assert!(crate::person::validate(i, today).is_ok(), "{i:?}");
        }
    }

    #[test]
    fn reads_gbk_csv_and_refuses_other_files() {
        let (gbk, _, _) = encoding_rs::GB18030
            .encode("姓名,居住地代码,性别,出生日期\n王芳,430523100001,女,2001.2.3\n");
        let rows = read(&gbk).unwrap();
        let layout = find_header(&rows, &[]).unwrap();
        let i = inputs(rows, &layout);
        assert_eq!(i[0].1.person.name, "王芳");
        assert_eq!(i[0].1.person.birth_date, "2001.2.3");
        assert_eq!(
            read(b"\x89PNG\r\n\x1a\n\0\0\0"),
            Err(SheetError::NotSpreadsheet)
        );
        assert_eq!(
            read(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0]),
            Err(SheetError::Encrypted)
        );
        assert_eq!(read(b"PK\x03\x04broken"), Err(SheetError::Corrupt));
        assert_eq!(
            find_header(&[vec!["a".into()]], &[]),
            Err(SheetError::NoHeader)
        );
    }
}
