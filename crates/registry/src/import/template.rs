//! The import template (.xlsx): the person sheet with its headers (required ones marked
//! `*`), drop-down lists for sex, ethnicity and the villages of the account's area (by
//! name), a sheet listing those villages with their townships and codes, and a sheet of
//! instructions. A group's template is named after the group and adds its items, so that
//! a group's ledger goes in tagged.

use kernel::i18n::Tr;
use kernel::org::pick::UnitChoice;
use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook, Worksheet, XlsxError};

use super::COLUMNS;
use crate::category::model::{Category, FieldKind};

/// Villages listed in the residence drop-down; a larger area types the name.
pub const MAX_VILLAGES_LISTED: usize = 5_000;
/// The last row the drop-downs cover.
const LAST_ROW: u32 = 1_048_575;

/// An Excel sheet name: at most 31 characters, none of `[]:*?/\`.
pub fn sheet_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    if clean.trim().is_empty() {
        "Sheet1".into()
    } else {
        clean
    }
}

/// What a village is written as in the residence column: its name alone when no other
/// village of the list shares it, else `名称（乡镇）`.
pub fn village_labels(villages: &[UnitChoice]) -> Vec<String> {
    let mut count = std::collections::HashMap::<&str, usize>::new();
    for v in villages {
        *count.entry(v.name.as_str()).or_default() += 1;
    }
    villages
        .iter()
        .map(|v| {
            if count[v.name.as_str()] > 1 {
                v.label()
            } else {
                v.name.clone()
            }
        })
        .collect()
}

/// Builds the template for an account's language and the villages of her area (in code
/// order), for one group or none.
pub fn build(
    tr: Tr,
    villages: &[UnitChoice],
    group: Option<&Category>,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let labels = village_labels(villages);
    let listed = villages.len().min(MAX_VILLAGES_LISTED);
    {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(match group {
            Some(g) => g.name(&tr),
            None => tr.s("import.sheet_persons"),
        }))?;
        person_columns(ws, tr, listed)?;
        if let Some(g) = group {
            group_columns(ws, tr, g, COLUMNS.len() as u16)?;
        }
        ws.set_freeze_panes(1, 0)?;
    }
    {
        let list = wb.add_worksheet();
        list.set_name(tr.s("import.sheet_villages"))?;
        let bold = Format::new().set_bold();
        let text = Format::new().set_num_format("@");
        for (c, key) in [
            "import.col_village",
            "import.col_township",
            "import.col_code",
            "import.col_written",
        ]
        .iter()
        .enumerate()
        {
            list.write_string_with_format(0, c as u16, tr.s(key), &bold)?;
            list.set_column_width(c as u16, if c == 3 { 28 } else { 18 })?;
        }
        for (i, (v, label)) in villages.iter().zip(&labels).enumerate() {
            let r = i as u32 + 1;
            list.write_string(r, 0, &v.name)?;
            list.write_string(r, 1, &v.parent_name)?;
            list.write_string_with_format(r, 2, &v.code, &text)?;
            list.write_string(r, 3, label)?;
        }
        list.set_freeze_panes(1, 0)?;
    }
    {
        let help = wb.add_worksheet();
        help.set_name(tr.s("import.sheet_help"))?;
        help.set_column_width(0, 100)?;
        for (i, key) in [
            "import.help_1",
            "import.help_2",
            "import.help_3",
            "import.help_4",
            "import.help_5",
            "import.help_6",
        ]
        .iter()
        .enumerate()
        {
            help.write_string(i as u32, 0, tr.s(key))?;
        }
    }
    {
        let lists = wb.add_worksheet();
        lists.set_name("Lists")?;
        for (i, code) in crate::ethnicity::codes().enumerate() {
            lists.write_string(i as u32, 0, tr.s(&crate::ethnicity::key(&code)))?;
        }
        for (i, label) in labels.iter().take(MAX_VILLAGES_LISTED).enumerate() {
            lists.write_string(i as u32, 1, label)?;
        }
        if let Some(g) = group {
            for (c, f) in g.fields.iter().filter(|f| f.is_choice()).enumerate() {
                for (i, o) in f.options.iter().enumerate() {
                    lists.write_string(i as u32, 2 + c as u16, o)?;
                }
            }
        }
        lists.set_hidden(true);
    }
    wb.save_to_buffer()
}

/// The person columns with their drop-downs: sex, ethnicity, and the villages by name.
fn person_columns(ws: &mut Worksheet, tr: Tr, villages: usize) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let required = ["person.name", "person.unit_code"];
    for (c, (_, key)) in COLUMNS.iter().enumerate() {
        let mut h = tr.s(key).to_string();
        if required.contains(key) {
            h.push('*');
        }
        ws.write_string_with_format(0, c as u16, &h, &bold)?;
        let width = match *key {
            "person.id_number" => 22,
            "person.unit_code" => 24,
            _ => 16,
        };
        ws.set_column_width(c as u16, width)?;
    }
    // Text format keeps ID numbers, phones and codes exact.
    let text = Format::new().set_num_format("@");
    for c in [1u16, 5, 6, 7] {
        ws.set_column_format(c, &text)?;
    }
    let sexes = [tr.s("sex.female"), tr.s("sex.male")];
    ws.add_data_validation(
        1,
        2,
        LAST_ROW,
        2,
        &DataValidation::new().allow_list_strings(&sexes)?,
    )?;
    ws.add_data_validation(
        1,
        4,
        LAST_ROW,
        4,
        &DataValidation::new().allow_list_formula(Formula::new("=Lists!$A$1:$A$56")),
    )?;
    if villages > 0 {
        // A village not in the list (typed by name with its township, or by code) is
        // allowed: the import reads it.
        let v = DataValidation::new()
            .allow_list_formula(Formula::new(format!("=Lists!$B$1:$B${villages}")))
            .ignore_blank(true)
            .set_error_style(rust_xlsxwriter::DataValidationErrorStyle::Information);
        ws.add_data_validation(1, 6, LAST_ROW, 6, &v)?;
    }
    Ok(())
}

/// A group's items after the person columns, headed by their labels (`*` if required),
/// with a drop-down for each choice.
fn group_columns(ws: &mut Worksheet, tr: Tr, g: &Category, first: u16) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let mut choice = 0u16;
    for (i, f) in g.fields.iter().enumerate() {
        let c = first + i as u16;
        let mut h = f.label(&tr).to_string();
        if f.required {
            h.push('*');
        }
        ws.write_string_with_format(0, c, &h, &bold)?;
        ws.set_column_width(c, 16)?;
        if f.kind == FieldKind::Choice && !f.options.is_empty() {
            let col = column_letters(2 + choice);
            let v = DataValidation::new().allow_list_formula(Formula::new(format!(
                "=Lists!${col}$1:${col}${}",
                f.options.len()
            )));
            ws.add_data_validation(1, c, LAST_ROW, c, &v)?;
            choice += 1;
        }
    }
    Ok(())
}

/// `A`, `B`, …, `AA` for a column index.
fn column_letters(mut c: u16) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_reads_back_as_an_empty_sheet_with_its_header() {
        let tr = Tr::default();
        let village = UnitChoice {
            code: "430523100001".into(),
            name: "大岭社区".into(),
            parent_name: "塘渡口镇".into(),
        };
        let bytes = build(tr, &[village], None).unwrap();
        let rows = super::super::sheet::read(&bytes).unwrap();
        let layout = super::super::sheet::find_header(&rows, &[]).unwrap();
        assert_eq!(layout.header, 0);
        assert_eq!(layout.cols.len(), COLUMNS.len());
        assert!(super::super::sheet::inputs(rows, &layout).is_empty());
    }

    #[test]
    fn names_and_columns() {
        assert_eq!(sheet_name("留守妇女"), "留守妇女");
        assert_eq!(sheet_name("a/b[c]?"), "abc");
        assert_eq!(sheet_name("  "), "Sheet1");
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        let u = |code: &str, name: &str, parent: &str| UnitChoice {
            code: code.into(),
            name: name.into(),
            parent_name: parent.into(),
        };
        let labels = village_labels(&[
            u("1", "新村", "塘渡口镇"),
            u("2", "新村", "白仓镇"),
            u("3", "大岭社区", "塘渡口镇"),
        ]);
        assert_eq!(
            labels,
            vec!["新村（塘渡口镇）", "新村（白仓镇）", "大岭社区"]
        );
    }
}
