"""Attribute catalogue of our service definitions (common and per category), as data."""

from __future__ import annotations

from dataclasses import dataclass, field

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = ("singlevaluelist", "multivaluelist")


@dataclass(frozen=True)
class Attribute:
    """One Open311 attribute; names are (Vietnamese, English)."""

    code: str
    datatype: str
    description: tuple[str, str]
    required: bool = False
    variable: bool = True  # False: an informational notice the client shows but never sends
    datatype_description: tuple[str, str] | None = None
    values: tuple[tuple[str, str, str], ...] = field(default=())  # (key, name_vi, name_en)

    def __post_init__(self) -> None:
        if self.datatype not in DATATYPES:
            raise ValueError(f"{self.code}: unknown datatype {self.datatype}")
        if (self.datatype in LIST_TYPES) != bool(self.values):
            raise ValueError(f"{self.code}: list types need values, other types must not have them")


YES_NO = (("CO", "Có", "Yes"), ("KHONG", "Không", "No"))
PRIORITY = Attribute(
    "priority",
    "singlevaluelist",
    ("Mức độ (bộ phận vận hành xác nhận lại)", "Priority (confirmed by the operators)"),
    values=(
        ("BINH_THUONG", "Bình thường", "Normal"),
        (
            "KHAN",
            "Khẩn (nguy hiểm, thiên tai, tai nạn, an ninh)",
            "Urgent (danger, disaster, accident, security)",
        ),
        ("PHUC_TAP", "Phức tạp (nhiều cơ quan phối hợp)", "Complex (several agencies)"),
    ),
)
LANDMARK = Attribute(
    "landmark",
    "string",
    (
        "Điểm mốc gần nhất, ví dụ: trước nhà số 12, gần chợ",
        "Nearest landmark, e.g. opposite no. 12, near the market",
    ),
)
NOTICED_AT = Attribute(
    "noticed_at",
    "datetime",
    ("Thời điểm phát hiện", "When the problem was noticed"),
    datatype_description=(
        "Định dạng W3C, ví dụ 2026-03-16T08:30:00+07:00",
        "W3C format, e.g. 2026-03-16T08:30:00+07:00",
    ),
)
AFFECTED_HOUSEHOLDS = Attribute(
    "affected_households",
    "number",
    ("Số hộ bị ảnh hưởng (ước tính)", "Households affected (estimate)"),
    datatype_description=("Số nguyên không âm", "A non-negative whole number"),
)
EMERGENCY_NOTICE = Attribute(
    "emergency_notice",
    "string",
    (
        "Nguy hiểm đang xảy ra: gọi ngay 112 (cứu nạn), 113 (công an), 114 (cứu hỏa)",
        "Danger now: call 112 (rescue), 113 (police), 114 (fire) first",
    ),
    variable=False,
)
DANGER_TO_LIFE = Attribute(
    "danger_to_life",
    "singlevaluelist",
    ("Có nguy hiểm đến tính mạng không?", "Is anyone's life in danger?"),
    required=True,
    values=YES_NO,
)

COMMON: tuple[Attribute, ...] = (PRIORITY, LANDMARK, NOTICED_AT)
BY_CATEGORY: dict[str, tuple[Attribute, ...]] = {
    "GIAO_THONG_HA_TANG": (
        Attribute(
            "road_type",
            "singlevaluelist",
            ("Loại đường", "Road type"),
            values=(
                ("QUOC_LO", "Quốc lộ", "National road"),
                ("DUONG_TINH", "Đường tỉnh", "Provincial road"),
                ("DUONG_XA", "Đường xã, liên xã", "Commune road"),
                ("DUONG_DO_THI", "Đường đô thị", "Urban street"),
                ("KHONG_RO", "Không rõ", "Not sure"),
            ),
        ),
    ),
    "CHIEU_SANG": (
        Attribute("pole_number", "string", ("Số hiệu cột đèn (nếu có)", "Lamp-post number, if shown")),
    ),
    "CAP_NUOC": (AFFECTED_HOUSEHOLDS,),
    "DIEN_LUC": (
        Attribute("pole_number", "string", ("Số hiệu cột điện (nếu có)", "Pole number, if shown")),
        AFFECTED_HOUSEHOLDS,
    ),
    "THOAT_NUOC": (
        Attribute(
            "water_depth_cm",
            "number",
            ("Độ sâu ngập (cm, ước tính)", "Flood depth (cm, estimate)"),
            datatype_description=("Số, đơn vị cm", "A number in centimetres"),
        ),
    ),
    "MOI_TRUONG_RAC": (
        Attribute(
            "waste_types",
            "multivaluelist",
            ("Loại rác", "Kinds of waste"),
            values=(
                ("SINH_HOAT", "Rác sinh hoạt", "Household waste"),
                ("XAY_DUNG", "Phế thải xây dựng", "Construction debris"),
                ("CONG_KENH", "Rác cồng kềnh", "Bulky waste"),
                ("NGUY_HAI", "Chất thải nguy hại", "Hazardous waste"),
                ("XAC_DONG_VAT", "Xác động vật", "Dead animal"),
            ),
        ),
    ),
    "O_NHIEM_MOI_TRUONG": (
        Attribute(
            "pollution_types",
            "multivaluelist",
            ("Loại ô nhiễm", "Kinds of pollution"),
            required=True,
            values=(
                ("KHOI_BUI", "Khói, bụi", "Smoke, dust"),
                ("MUI", "Mùi", "Odour"),
                ("TIENG_ON", "Tiếng ồn", "Noise"),
                ("NUOC_THAI", "Nước thải", "Waste water"),
                ("DAT", "Đất", "Soil"),
            ),
        ),
        Attribute(
            "time_pattern", "text", ("Ô nhiễm thường xảy ra vào lúc nào?", "When does it usually happen?")
        ),
    ),
    "TRAT_TU_XAY_DUNG": (
        Attribute(
            "permit_displayed",
            "singlevaluelist",
            ("Có treo biển giấy phép xây dựng?", "Is a building permit displayed?"),
            values=(*YES_NO, ("KHONG_RO", "Không rõ", "Not sure")),
        ),
    ),
    "PCCC_CUU_NAN": (EMERGENCY_NOTICE, DANGER_TO_LIFE),
    "THIEN_TAI": (EMERGENCY_NOTICE, DANGER_TO_LIFE, AFFECTED_HOUSEHOLDS),
    "AN_NINH_TRAT_TU": (EMERGENCY_NOTICE,),
    "THU_TUC_HANH_CHINH": (
        Attribute(
            "office",
            "string",
            (
                "Nơi giải quyết thủ tục (ví dụ: Trung tâm phục vụ hành chính công xã)",
                "Where the procedure was handled (e.g. the commune public-service centre)",
            ),
            required=True,
        ),
        Attribute(
            "procedure_name", "string", ("Tên thủ tục hành chính", "Name of the administrative procedure")
        ),
    ),
}


def attributes_for(category: dict) -> tuple[Attribute, ...]:
    """Attributes of a category: an explicit ``open311_attributes`` (possibly empty) wins, else common +
    table."""
    if "open311_attributes" in category:
        return tuple(category["open311_attributes"])
    return COMMON + BY_CATEGORY.get(category["code"], ())
