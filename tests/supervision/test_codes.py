import pytest
from django.core.exceptions import ValidationError

from regshare.core.codes import make_uscc
from regshare.supervision.codes import validate_catalog_code, validate_implementing_code

BODY = make_uscc("11360429MB157543X")  # an organ's code: category 1 (机关), 9 (其他) … check digit computed


def test_catalog_code_is_fourteen_digits():
    validate_catalog_code("36042900100101")
    for bad in ("3604290010010", "360429001001011", "3604290010010A", ""):
        with pytest.raises(ValidationError):
            validate_catalog_code(bad)


def test_implementing_code_is_a_valid_credit_code_and_one_digit():
    validate_implementing_code(BODY + "1")
    with pytest.raises(ValidationError, match="加1位数字"):
        validate_implementing_code(BODY + "A")
    with pytest.raises(ValidationError, match="加1位数字"):
        validate_implementing_code(BODY)
    wrong_check = BODY[:17] + ("0" if BODY[17] != "0" else "1")
    with pytest.raises(ValidationError, match="校验|有效"):
        validate_implementing_code(wrong_check + "1")
