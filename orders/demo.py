"""A believable demo marketplace for ``./manage.py load_demo``.

Shops, buyers and orders are written in bulk. Every after-sales request is then driven the
way users drive it: through the services, one action at a time, each by the party whose turn
it is (buyer, a shop member, the ``staff`` arbitrator, or the system when a deadline passed)
and with a ``now=`` in the past, so timelines, deadlines and overdue work look real.

Everything is derived from ``random.Random(SEED)`` and the time of loading, so two loads
produce the same marketplace. The load runs in one transaction; notifications and payouts the
services register with ``transaction.on_commit`` run when it commits (see the command).
"""

from __future__ import annotations

import contextlib
import io
import os
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F, Model, ProtectedError, QuerySet, RestrictedError
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from aftersales import policy, services
from aftersales.actors import ARBITRATORS_GROUP, SYSTEM
from aftersales.evidence import PreparedFile, prepare_photo
from aftersales.models import (
    AfterSalesRequest,
    Carrier,
    Dispute,
    Evidence,
    Kind,
    LedgerEntry,
    Message,
    Reason,
    RejectionReason,
    Ruling,
    State,
)
from aftersales.shipping import tracking_error
from disputes.models import Complaint

from .models import Order, OrderItem, ReturnAddress, Shop, ShopMember

User = get_user_model()

SEED = 2026
PASSWORD = "demo-pass-2026"
SITE_URL = "http://127.0.0.1:8000/"
ORDER_COUNT = 340
ORDER_DAYS = 60
CENT = Decimal("0.01")
D = Decimal

# --- the catalogue -------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    title: str
    variants: tuple[tuple[str, str], ...]  # (SKU snapshot, unit price in yuan)
    faults: tuple[str, ...] = ()
    parts: tuple[str, ...] = ("赠品", "说明书和保修卡")
    repairable: bool = False


def _sized(title, colours, sizes, price, **kwargs) -> Product:
    variants = tuple((f"颜色分类：{c}；尺码：{s}", price) for c in colours for s in sizes)
    return Product(title, variants, **kwargs)


@dataclass(frozen=True)
class ShopSpec:
    name: str
    owner: tuple[str, str, str]  # username, family name, given name
    address: tuple[str, str, str]  # recipient, phone, address
    products: tuple[Product, ...]
    weight: float  # share of the random orders
    policy: dict = field(default_factory=dict)
    warehouse: tuple[str, str, str] | None = None  # a second, non-default return address


SHOPS: tuple[ShopSpec, ...] = (
    ShopSpec(
        name="杭州茶香旗舰店",
        owner=("seller", "陈", "志远"),
        address=("陈志远", "13957112345", "浙江省杭州市西湖区龙井路 18 号 茶香茶业售后部"),
        warehouse=("茶香仓储", "0571-88776655", "浙江省杭州市余杭区仓前街道良睦路 1399 号 2 号仓"),
        weight=0.36,
        products=(
            Product(
                "西湖龙井 明前特级 2026新茶 绿茶",
                (("250g 罐装", "268.00"), ("250g 礼盒装", "298.00"), ("500g 家庭装", "498.00")),
                faults=("茶叶碎末很多，开罐有一股陈味", "茶叶受潮结块，泡出来有霉味"),
                parts=("手提礼袋", "赠送的茶则"),
            ),
            Product(
                "安吉白茶 雨前一级 罐装",
                (("150g", "138.00"), ("300g 双罐礼盒", "268.00")),
                faults=("罐子封口不严，茶叶受潮发黄",),
            ),
            Product(
                "云南普洱熟茶 勐海七子饼 2019年",
                (("357g 单饼", "198.00"), ("357g×7 一提", "1280.00")),
                faults=("茶饼表面有白色霉点",),
            ),
            Product(
                "武夷山大红袍 岩茶 浓香型",
                (("125g 罐装", "158.00"), ("250g 罐装", "298.00")),
                faults=("茶汤有明显的焦糊味，和以前买的完全不一样",),
            ),
            Product(
                "福鼎白茶 白牡丹 2020年 老白茶饼",
                (("300g", "228.00"),),
                faults=("茶饼松散，里面夹杂很多茶梗和黄片",),
            ),
            Product(
                "宜兴紫砂壶 西施壶 原矿紫泥 手工",
                (("220ml", "388.00"), ("300ml", "458.00")),
                faults=("壶盖和壶身不密合，倒水时壶嘴漏水",),
                parts=("壶盖", "收藏证书"),
            ),
            Product(
                "青瓷品茗杯 六只装",
                (("青釉", "89.00"), ("月白", "89.00")),
                faults=("有两只杯子杯口有裂纹",),
            ),
            Product(
                "自动上水电热水壶 茶台烧水壶",
                (("单炉 1.0L", "259.00"), ("双炉 1.2L", "329.00")),
                faults=("自动上水泵不工作，烧一会儿就跳闸", "加热到一半就断电，指示灯一直闪"),
                parts=("上水管", "消毒锅盖"),
                repairable=True,
            ),
            Product(
                "电陶炉 煮茶器 静音 家用",
                (("黑色 1200W", "199.00"), ("白色 1200W", "199.00")),
                faults=("开机几分钟就报 E3 故障，不能加热",),
                parts=("电源线",),
                repairable=True,
            ),
            Product(
                "竹制茶盘 排水式 家用",
                (("60×40cm", "159.00"), ("80×45cm", "199.00")),
                faults=("茶盘表面开裂，排水口漏水",),
                parts=("排水管",),
            ),
        ),
    ),
    ShopSpec(
        name="优衣小铺",
        owner=("seller-b", "林", "晓燕"),
        address=(
            "林晓燕",
            "13826012345",
            "广东省广州市白云区石井街道庆丰工业园 B 栋 3 楼 优衣小铺退货组",
        ),
        weight=0.26,
        # 15-day no-reason returns, and the shop pays no-reason return shipping (运费险).
        policy={"no_reason_return_days": 15, "pays_no_reason_return_shipping": True},
        products=(
            _sized(
                "纯棉圆领短袖T恤 男女同款",
                ["白色", "黑色", "雾霾蓝"],
                ["S", "M", "L", "XL"],
                "59.00",
                faults=("洗了一次就严重缩水变形", "领口开线，袖口全是线头"),
            ),
            _sized(
                "高腰直筒牛仔裤 女 显瘦",
                ["浅蓝", "深蓝"],
                ["25", "26", "27", "28", "29"],
                "139.00",
                faults=("洗一次掉色严重，把别的衣服都染了",),
            ),
            _sized(
                "轻薄羽绒服 短款 立领",
                ["黑色", "米白", "藏青"],
                ["M", "L", "XL"],
                "399.00",
                faults=("往外钻绒很厉害，拉链也拉不上",),
            ),
            _sized(
                "针织开衫 春秋款 宽松",
                ["燕麦色", "灰色"],
                ["均码"],
                "169.00",
                faults=("起球很严重，穿一天就起球",),
            ),
            _sized(
                "运动休闲卫裤 束脚",
                ["黑色", "灰色"],
                ["M", "L", "XL", "XXL"],
                "99.00",
                faults=("裤腰的松紧带断了",),
            ),
            _sized(
                "真丝衬衫 长袖 通勤",
                ["白色", "香槟色"],
                ["S", "M", "L"],
                "329.00",
                faults=("衣服上有一块明显的污渍，洗不掉",),
            ),
            _sized(
                "帆布鞋 小白鞋 百搭",
                ["白色"],
                ["36", "37", "38", "39", "40", "41", "42"],
                "129.00",
                faults=("穿了三天鞋底就开胶了",),
            ),
        ),
    ),
    ShopSpec(
        name="数码优选",
        owner=("seller-c", "张", "浩"),
        address=(
            "张浩",
            "0755-23456789",
            "广东省深圳市龙华区民治街道优城科技园 5 栋 6 楼 售后维修中心",
        ),
        weight=0.24,
        policy={"warranty_days": 730},
        products=(
            Product(
                "头戴式蓝牙降噪耳机",
                (("曜石黑", "699.00"), ("月光银", "699.00")),
                faults=("开启降噪后有滋滋的电流声", "右耳没有声音，重新配对也不行"),
                parts=("收纳包", "3.5mm 音频线"),
                repairable=True,
            ),
            Product(
                "真无线蓝牙耳机 半入耳式",
                (("白色 标准版", "249.00"), ("白色 无线充版", "299.00")),
                faults=("左耳经常断连，充电仓充不进电",),
                parts=("充电线", "备用耳塞"),
                repairable=True,
            ),
            Product(
                "65W 氮化镓快充充电器 三口",
                (("白色 单头", "119.00"), ("白色 含C-C线套装", "139.00")),
                faults=("充电时发烫严重，手机充不进电",),
                parts=("C-C 数据线",),
                repairable=True,
            ),
            Product(
                "20000mAh 移动电源 22.5W 快充",
                (("黑色", "159.00"), ("白色", "159.00")),
                faults=("充满电放一晚电量就没了",),
                parts=("充电线",),
                repairable=True,
            ),
            Product(
                "87键机械键盘 热插拔",
                (("茶轴 白光", "329.00"), ("红轴 RGB", "369.00")),
                faults=("有几个键连击，空格键没反应",),
                parts=("拔键器", "Type-C 线"),
                repairable=True,
            ),
            Product(
                "无线静音鼠标 双模",
                (("深空灰", "79.00"), ("奶白", "79.00")),
                faults=("滚轮失灵，页面上下乱跳",),
                parts=("USB 接收器",),
            ),
            Product(
                "USB-C 编织数据线 1.5m",
                (("两条装", "39.00"),),
                faults=("接触不良，一动就断开",),
            ),
            Product(
                "智能手表 运动版 血氧心率",
                (("黑色 硅胶表带", "899.00"), ("银色 米兰表带", "999.00")),
                faults=("屏幕有一道亮线，触摸偶尔失灵",),
                parts=("磁吸充电线",),
                repairable=True,
            ),
        ),
    ),
    ShopSpec(
        name="家居生活馆",
        owner=("seller-d", "刘", "芳"),
        address=(
            "刘芳",
            "13705791234",
            "浙江省金华市义乌市北苑街道春晗二区 12 幢 1 单元 家居生活馆售后",
        ),
        weight=0.14,
        products=(
            Product(
                "泰国天然乳胶枕 成人护颈",
                (("单只装", "159.00"), ("两只装", "299.00")),
                faults=("有很重的刺鼻气味，放了一周也散不掉",),
                parts=("枕套",),
            ),
            Product(
                "纯棉四件套 1.8m床",
                (("灰白格", "259.00"), ("雾蓝", "259.00")),
                faults=("被套有一处开线，洗了一次就褪色",),
                parts=("枕套",),
            ),
            Product(
                "316不锈钢保温杯 500ml",
                (("奶油白", "89.00"), ("墨绿", "89.00")),
                faults=("杯盖漏水，保温不到两个小时",),
                parts=("杯套",),
            ),
            Product(
                "声波电动牙刷 成人款",
                (("白色 含3刷头", "199.00"),),
                faults=("充满电用两天就没电，震动很弱",),
                parts=("刷头", "充电座"),
                repairable=True,
            ),
            Product(
                "空气炸锅 4.5L 可视窗",
                (("奶白", "329.00"),),
                faults=("加热管不热，按键失灵",),
                parts=("烤架",),
                repairable=True,
            ),
            Product(
                "收纳箱 带盖 三件套",
                (("透明 大号×3", "69.00"),),
                faults=("箱盖卡扣断了，盖不严",),
            ),
        ),
    ),
)

SHOP_NAMES = tuple(spec.name for spec in SHOPS)

# --- people --------------------------------------------------------------------------------

MAIN_BUYER = "buyer"
BUYERS: tuple[tuple[str, str, str], ...] = (
    (MAIN_BUYER, "王", "小明"),
    ("liwei", "李", "伟"),
    ("zhangmin", "张", "敏"),
    ("wangfang", "王", "芳"),
    ("liuyang", "刘", "洋"),
    ("chenjing", "陈", "静"),
    ("yangli", "杨", "丽"),
    ("zhaolei", "赵", "磊"),
    ("huangyan", "黄", "艳"),
    ("zhouqiang", "周", "强"),
    ("wuxia", "吴", "霞"),
    ("xuming", "徐", "明"),
    ("sunli", "孙", "丽"),
    ("majun", "马", "军"),
    ("zhuhong", "朱", "红"),
    ("hujie", "胡", "杰"),
    ("guoping", "郭", "平"),
    ("linna", "林", "娜"),
    ("heyong", "何", "勇"),
    ("gaojing", "高", "静"),
    ("luotao", "罗", "涛"),
    ("zhengshuang", "郑", "爽"),
)
STAFF = ("staff", "周", "小二")
ADMIN = ("admin", "", "")
DEMO_USERNAMES = (
    *(b[0] for b in BUYERS),
    *(spec.owner[0] for spec in SHOPS),
    STAFF[0],
    ADMIN[0],
)

LOGINS = (
    ("buyer", "a buyer with orders and requests in several shops", SITE_URL),
    ("seller", f"owner of {SHOPS[0].name}: its after-sales queue", f"{SITE_URL}seller/"),
    ("staff", "platform arbitrator (group “arbitrators”): disputes", f"{SITE_URL}admin/"),
    ("admin", "superuser", f"{SITE_URL}admin/"),
)

CITIES = (
    "浙江省杭州市西湖区文三路 90 号",
    "上海市浦东新区张杨路 500 号",
    "北京市朝阳区望京街 10 号",
    "广东省深圳市南山区科技园南区 8 栋",
    "江苏省南京市鼓楼区中山北路 88 号",
    "四川省成都市武侯区天府大道北段 1700 号",
    "湖北省武汉市洪山区珞喻路 129 号",
    "福建省厦门市思明区湖滨南路 55 号",
    "山东省青岛市市南区香港中路 36 号",
    "陕西省西安市雁塔区高新路 25 号",
    "重庆市渝北区金开大道 68 号",
    "湖南省长沙市岳麓区麓谷大道 627 号",
)

# --- what people write ---------------------------------------------------------------------

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    Reason.CHANGED_MIND: (
        "拍多了一件，{title}还没拆封，申请七天无理由退货。",
        "家里已经有同款了，{title}全新未使用，包装完好。",
        "收到后发现不太适合自己，吊牌和包装都在，想退掉。",
    ),
    Reason.WRONG_SIZE: (
        "{title}买错规格了，想换成合适的，商品没有使用过。",
        "尺码偏小，平时穿这个码这次很紧，想换大一码。",
        "下单时选错了规格，吊牌包装都在。",
    ),
    Reason.QUALITY_PROBLEM: (
        "{title}{fault}，影响正常使用。",
        "收到没几天就发现{fault}，已经拍了照片。",
        "{fault}，希望尽快处理。",
    ),
    Reason.NOT_AS_DESCRIBED: (
        "收到的{title}和详情页描述不一样，实物颜色比图片深很多。",
        "页面写的和实物差别太大，做工也不是宣传的那样。",
    ),
    Reason.WRONG_ITEM: (
        "我拍的是「{sku}」，收到的却是别的规格，外包装标签也不对。",
        "发错货了，收到的不是我下单的款式，标签写的是别的型号。",
    ),
    Reason.DAMAGED_IN_TRANSIT: (
        "快递送到时外箱就压坏了，{title}有破损，开箱时拍了照片。",
        "包裹外包装破了，里面的{title}摔坏了。",
    ),
    Reason.MISSING_PARTS: (
        "打开包装发现少了{part}，详情页写了是有的。",
        "收到的{title}缺少{part}，没法正常使用。",
    ),
    Reason.NOT_RECEIVED: (
        "物流好几天没更新了，一直没收到货，问快递说找不到包裹。",
        "显示已发货一周多了，物流停在中转站不动，申请退款。",
    ),
}
DESCRIPTIONS_NOT_SHIPPED = (
    "不想要了，还没发货的话麻烦直接退款，谢谢。",
    "拍重复了，麻烦取消这一件。",
)
DESCRIPTIONS_IN_TRANSIT = ("已经发货了但我不想要了，快递到了我会拒收，麻烦退款。",)

REJECTIONS_NO_REASON = (
    "商品已经拆封使用过，影响二次销售，不支持七天无理由退货，敬请谅解。",
    "吊牌已剪且有穿着痕迹，不符合无理由退货条件。",
)
REJECTIONS = (
    "亲，我们核实了出库质检记录，发货时商品完好，您的照片看不出质量问题，请补充更清晰的照片或视频。",
    "物流签收时没有反馈外包装破损，无法认定是运输损坏，建议先联系快递核实。",
    "您反馈的情况属于正常现象，不属于质量问题，给您带来困扰很抱歉。",
)
REJECTIONS_NOT_RECEIVED = ("物流显示包裹已到达您所在城市的驿站，请先去驿站查询，暂不支持仅退款。",)
FAILED_INSPECTIONS = (
    "退回的商品有明显使用痕迹，吊牌已剪，不符合退货条件。",
    "退回的商品缺少原包装和配件，质检不通过。",
)
FAILED_INSPECTIONS_DEVICES = (
    "拆机检查发现内部有进水痕迹，属于人为损坏，不在保修范围内。",
    "机身序列号与我们发出的不一致，质检不通过。",
)
PROPOSAL_NOTES = {
    "partial_keep": (
        "亲，非常抱歉给您带来不好的体验。商品不影响正常使用的话，"
        "给您退 ¥{refund}，商品您继续用，您看可以吗？"
    ),
    "comp": "亲，实在抱歉，缺的东西我们补发不了，给您补偿 ¥{comp} 作为歉意，商品您留着用。",
    "partial_return": (
        "亲，退货退款可以，赠品已经使用了，退回后给您退 ¥{refund}，来回运费我们承担。"
    ),
    "exchange": "亲，这边建议给您换一件新的，来回运费都由我们承担，您看可以吗？",
    "repair": "这个问题一般是小故障，在保修期内，寄回来我们免费维修，修好后顺丰寄回给您。",
}
REVIEW_COMMENTS_GOOD = (
    "客服回复很快，退款也很及时，好评！",
    "处理得很专业，换货很顺利。",
    "有问题马上就解决了，下次还来。",
    "",
)
REVIEW_COMMENTS_BAD = (
    "处理太慢了，等了好几天才有人回。",
    "客服态度一般，最后还是平台介入才解决。",
    "不太满意，希望改进。",
)
REVIEW_REPLIES = (
    "感谢您的评价，我们会继续努力！",
    "给您带来不便非常抱歉，我们已经改进了售后流程。",
    "谢谢亲的支持，欢迎再次光临～",
)
DECLINES = (
    "补偿太少了，我还是想退货退款。",
    "商品有质量问题，不同意部分退款。",
    "不接受这个方案，希望按我的申请处理。",
)
STATEMENTS = {
    Dispute.Reason.UNFAIR_REJECTION: (
        "照片已经很清楚地拍到了问题，卖家却说看不出来，直接拒绝了，请平台介入。",
        "收到时就是坏的，卖家一直推脱，申请平台处理。",
    ),
    Dispute.Reason.UNACCEPTABLE_PROPOSAL: (
        "卖家只愿意退一小部分，商品问题这么明显，我要求全额退款。",
    ),
    Dispute.Reason.DISPUTED_INSPECTION: (
        "寄回去的时候商品是完好的，我有寄出前拍的照片，卖家说有使用痕迹不属实。",
    ),
}
RATIONALES = {
    Ruling.Outcome.REFUND: (
        "经核实，买家提供的照片能够证明商品存在问题，卖家未能提供有效反证。判定退款 ¥{refund}。"
    ),
    Ruling.Outcome.COMPENSATION: (
        "商品存在轻微瑕疵但不影响使用，判定卖家补偿买家 ¥{comp}，商品无需退回。"
    ),
    Ruling.Outcome.RETURN_AND_REFUND: (
        "双方凭证显示商品确有问题，判定买家退回商品，卖家确认收货并质检后退款 ¥{refund}。"
    ),
    Ruling.Outcome.FOR_SELLER: (
        "卖家提供的出库质检记录和退回商品照片显示，问题系使用不当造成，买家的诉求不予支持，售后关闭。"
    ),
}
MESSAGES: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("b", State.SUBMITTED): ("亲，麻烦尽快处理一下，谢谢！", "照片已经上传了，还需要补充什么吗？"),
    ("s", State.SUBMITTED): (
        "亲，您好，申请已收到，我们正在核实，请稍等。",
        "亲，方便的话再拍一张外包装和快递面单的照片吗？",
    ),
    ("b", State.NEGOTIATING): ("我考虑一下这个方案。", "能不能再多补偿一点？"),
    ("s", State.NEGOTIATING): ("亲，这个方案已经是我们能给的最大诚意了，麻烦您确认一下。",),
    ("b", State.REJECTED): (
        "照片拍得很清楚了，为什么拒绝？我再补充几张。",
        "我不同意拒绝的理由，实在不行我申请平台介入。",
    ),
    ("s", State.REJECTED): ("亲，如有新的凭证可以修改申请后重新提交，我们会再核实。",),
    ("b", State.AWAITING_RETURN): ("好的，我这两天寄出。", "退货地址收到了，明天寄。"),
    ("s", State.AWAITING_RETURN): ("亲，退货请不要寄到付，寄出后记得填写单号哦。",),
    ("b", State.RETURN_SHIPPED): ("已经寄出了，单号填好了，麻烦查收。",),
    ("s", State.RETURN_SHIPPED): ("好的，收到后第一时间给您处理。",),
    ("b", State.INSPECTING): ("请问质检结果怎么样了？",),
    ("s", State.INSPECTING): ("已收到退货，正在质检，请耐心等待 1-2 天。",),
    ("b", State.REPAIRING): ("请问修好了吗？大概要多久？",),
    ("s", State.REPAIRING): ("已经送修了，预计 3-5 个工作日修好寄回。",),
    ("b", State.REPLACEMENT_SHIPPED): ("看到物流了，谢谢！",),
    ("s", State.REPLACEMENT_SHIPPED): ("新的已经发出了，请注意查收，有问题随时联系。",),
    ("b", State.REPAIR_SHIPPED): ("看到物流了，收到试用后确认。",),
    ("s", State.REPAIR_SHIPPED): ("已修好并测试过，寄回单号已填写。",),
    ("b", State.DISPUTED): ("补充一下开箱时拍的照片。",),
    ("s", State.DISPUTED): (
        "我们补充出库质检记录和打包照片，发货时商品完好。",
        "快递签收时外包装无破损，附上打包照片，请平台核实。",
    ),
    ("p", State.DISPUTED): (
        "您好，平台已介入处理，请双方在 3 天内补充相关凭证。",
        "已收到双方凭证，平台会在 5 个工作日内给出处理结果。",
    ),
    ("b", None): ("好的，谢谢。",),
    ("s", None): ("亲，有问题随时联系我们。",),
    ("p", None): ("平台已关注此售后，请双方保持沟通。",),
}

# --- evidence photos -----------------------------------------------------------------------

# (Chinese label, fallback when no CJK font is installed)
LABELS = {
    Reason.QUALITY_PROBLEM: ("质量问题", "DEFECT"),
    Reason.NOT_AS_DESCRIBED: ("与描述不符", "NOT AS PICTURED"),
    Reason.WRONG_ITEM: ("发错货", "WRONG ITEM"),
    Reason.DAMAGED_IN_TRANSIT: ("破损", "DAMAGED"),
    Reason.MISSING_PARTS: ("缺少配件", "MISSING PARTS"),
    Reason.NOT_RECEIVED: ("物流截图", "TRACKING"),
    Reason.CHANGED_MIND: ("商品完好", "UNUSED"),
    Reason.WRONG_SIZE: ("尺码标签", "SIZE TAG"),
    "qc": ("出库质检", "QC PASSED"),
    "qc_fail": ("质检不合格", "QC FAILED"),
    "packing": ("打包照片", "PACKED OK"),
}
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


@cache
def _fonts() -> tuple[ImageFont.ImageFont, ImageFont.ImageFont, bool]:
    """(label font, small font, whether the label font has Chinese glyphs)."""
    for path in CJK_FONTS:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, 44), ImageFont.truetype(path, 22), True
            except OSError:
                continue
    return ImageFont.load_default(size=44), ImageFont.load_default(size=22), False


# --- scenarios: which requests exist and how they got where they are -------------------------


@dataclass(frozen=True)
class Scenario:
    """One request: its shop, filer, kind and reason, the actions after filing, where it ends.

    ``steps`` are action names, each played by ``Loader._<name>`` (a trailing ``+`` attaches a
    photo); ``until`` is the state the request must be in afterwards. ``recency`` is how many
    days ago the last action happened (a range); ``late`` files the request late in the shop's
    window.
    """

    shop: int
    kind: Kind
    reason: Reason
    steps: tuple[str, ...]
    until: State
    buyer: str | None = None  # None: any buyer except the main demo buyer
    item: str = "delivered"  # delivered / in_transit / not_shipped
    recency: tuple[float, float] | None = None
    late: bool = False


def _s(shop, kind, reason, steps, until, **kwargs) -> Scenario:
    return Scenario(shop, kind, reason, tuple(steps.split()) if steps else (), until, **kwargs)


K, R, S = Kind, Reason, State
B = MAIN_BUYER
RET = "approve ship_return receive"  # the goods back at the seller, inspection pending

# fmt: off
SCENARIOS: tuple[Scenario, ...] = (
    # 杭州茶香旗舰店 — seller's shop: every state, the main buyer in many of them.
    _s(0, K.REFUND_ONLY, R.CHANGED_MIND, "", S.SUBMITTED,
       buyer=B, item="not_shipped", recency=(0.01, 0.1)),
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM, "msg_s+ msg_b+ propose:partial_keep", S.NEGOTIATING,
       buyer=B),
    _s(0, K.REFUND_ONLY, R.DAMAGED_IN_TRANSIT, "reject msg_b+", S.REJECTED, buyer=B),
    _s(0, K.RETURN_REFUND, R.CHANGED_MIND, "approve msg_b", S.AWAITING_RETURN, buyer=B),
    _s(0, K.EXCHANGE, R.DAMAGED_IN_TRANSIT, f"{RET} ship_replacement msg_s", S.REPLACEMENT_SHIPPED,
       buyer=B),
    _s(0, K.RETURN_REFUND, R.NOT_AS_DESCRIBED, f"{RET} pass", S.REFUNDED, buyer=B),
    _s(0, K.REFUND_ONLY, R.QUALITY_PROBLEM, "reject escalate:unfair_rejection msg_p msg_s+",
       S.DISPUTED, buyer=B),
    _s(0, K.RETURN_REFUND, R.CHANGED_MIND, "withdraw", S.CLOSED, buyer=B),
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM, "approve ship_return msg_b", S.RETURN_SHIPPED),
    _s(0, K.RETURN_REFUND, R.NOT_AS_DESCRIBED, f"{RET} msg_s", S.INSPECTING),
    _s(0, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass msg_b msg_s", S.REPAIRING),
    _s(0, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass ship_repaired", S.REPAIR_SHIPPED),
    _s(0, K.REPAIR, R.DAMAGED_IN_TRANSIT, f"{RET} pass ship_repaired auto_confirm", S.REPAIRED),
    _s(0, K.EXCHANGE, R.WRONG_ITEM, f"{RET} ship_replacement confirm", S.EXCHANGED),
    _s(0, K.REFUND_ONLY, R.QUALITY_PROBLEM, "approve", S.REFUNDED),
    _s(0, K.REFUND_ONLY, R.MISSING_PARTS, "propose:comp accept", S.REFUNDED),
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM,
       "propose:partial_keep decline escalate:unacceptable_proposal msg_s rule:refund", S.REFUNDED),
    _s(0, K.RETURN_REFUND, R.CHANGED_MIND,
       f"{RET} fail escalate:disputed_inspection msg_p msg_s+ rule:for_seller", S.CLOSED),
    _s(0, K.REFUND_ONLY, R.QUALITY_PROBLEM, "msg_b auto_approve", S.REFUNDED),
    _s(0, K.RETURN_REFUND, R.WRONG_ITEM, "approve timeout", S.CLOSED),
    _s(0, K.REPAIR, R.QUALITY_PROBLEM, "approve ship_return escalate_overdue msg_p", S.DISPUTED),
    _s(0, K.RETURN_REFUND, R.DAMAGED_IN_TRANSIT, "approve ship_return auto_refund", S.REFUNDED),
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM, "reject resubmit approve", S.AWAITING_RETURN),
    _s(0, K.REFUND_ONLY, R.NOT_AS_DESCRIBED,
       "reject escalate:unfair_rejection msg_s rule:compensation", S.REFUNDED),
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM,
       "reject escalate:unfair_rejection rule:return_and_refund ship_return receive pass",
       S.REFUNDED),
    _s(0, K.EXCHANGE, R.DAMAGED_IN_TRANSIT,
       "reject escalate:unfair_rejection msg_p rule:return_and_refund", S.AWAITING_RETURN),
    _s(0, K.RETURN_REFUND, R.CHANGED_MIND, "", S.SUBMITTED, recency=(5.2, 6.0)),  # overdue
    _s(0, K.EXCHANGE, R.QUALITY_PROBLEM, "propose:partial_keep", S.NEGOTIATING,
       recency=(5.1, 5.8)),  # overdue
    _s(0, K.REFUND_ONLY, R.NOT_RECEIVED, "approve", S.REFUNDED, item="in_transit"),
    _s(0, K.EXCHANGE, R.QUALITY_PROBLEM, RET, S.INSPECTING),
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM,
       "propose:partial_return accept ship_return receive pass", S.REFUNDED),
    _s(0, K.RETURN_REFUND, R.WRONG_ITEM, "propose:exchange accept ship_return", S.RETURN_SHIPPED),
    _s(0, K.REFUND_ONLY, R.QUALITY_PROBLEM, "reject timeout", S.CLOSED),
    _s(0, K.REFUND_ONLY, R.MISSING_PARTS, "msg_s", S.SUBMITTED, recency=(0.05, 0.9)),
    # 优衣小铺 — clothing, 15-day no-reason returns with return shipping paid by the shop.
    _s(1, K.EXCHANGE, R.WRONG_SIZE, f"{RET} ship_replacement", S.REPLACEMENT_SHIPPED, buyer=B),
    _s(1, K.RETURN_REFUND, R.CHANGED_MIND, f"{RET} pass", S.REFUNDED, buyer=B, late=True),
    _s(1, K.RETURN_REFUND, R.WRONG_SIZE, "approve", S.AWAITING_RETURN, buyer=B),
    _s(1, K.REFUND_ONLY, R.NOT_AS_DESCRIBED, "reject escalate:unfair_rejection msg_s+",
       S.DISPUTED, buyer=B),
    _s(1, K.EXCHANGE, R.WRONG_SIZE, f"msg_b {RET} ship_replacement confirm", S.EXCHANGED),
    _s(1, K.EXCHANGE, R.WRONG_SIZE, f"{RET} ship_replacement auto_confirm", S.EXCHANGED),
    _s(1, K.RETURN_REFUND, R.CHANGED_MIND, f"{RET} pass", S.REFUNDED, late=True),
    _s(1, K.RETURN_REFUND, R.CHANGED_MIND, "", S.SUBMITTED),
    _s(1, K.EXCHANGE, R.WRONG_SIZE, "msg_b", S.SUBMITTED),
    _s(1, K.RETURN_REFUND, R.QUALITY_PROBLEM, "propose:partial_keep accept", S.REFUNDED),
    _s(1, K.RETURN_REFUND, R.CHANGED_MIND, f"{RET} fail msg_b", S.REJECTED),
    _s(1, K.RETURN_REFUND, R.WRONG_SIZE, "approve withdraw", S.CLOSED),
    _s(1, K.REFUND_ONLY, R.CHANGED_MIND, "approve", S.REFUNDED, item="in_transit"),
    _s(1, K.EXCHANGE, R.NOT_AS_DESCRIBED, f"{RET} ship_replacement msg_b", S.REPLACEMENT_SHIPPED),
    _s(1, K.RETURN_REFUND, R.QUALITY_PROBLEM,
       f"{RET} fail escalate:disputed_inspection msg_p rule:refund", S.REFUNDED),
    _s(1, K.RETURN_REFUND, R.CHANGED_MIND, "propose:partial_keep decline withdraw", S.CLOSED),
    _s(1, K.EXCHANGE, R.WRONG_SIZE, f"{RET} escalate_overdue", S.DISPUTED),
    _s(1, K.RETURN_REFUND, R.DAMAGED_IN_TRANSIT, "approve ship_return", S.RETURN_SHIPPED),
    # 数码优选 — electronics with a two-year warranty: repairs.
    _s(2, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass msg_b", S.REPAIRING, buyer=B),
    _s(2, K.RETURN_REFUND, R.QUALITY_PROBLEM, "approve ship_return", S.RETURN_SHIPPED, buyer=B),
    _s(2, K.REFUND_ONLY, R.MISSING_PARTS, "propose:comp msg_b", S.NEGOTIATING, buyer=B),
    _s(2, K.EXCHANGE, R.QUALITY_PROBLEM, f"{RET} ship_replacement confirm", S.EXCHANGED, buyer=B),
    _s(2, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass ship_repaired confirm", S.REPAIRED),
    _s(2, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass escalate_overdue msg_p rule:refund",
       S.REFUNDED),
    _s(2, K.RETURN_REFUND, R.QUALITY_PROBLEM, "propose:repair accept ship_return receive pass",
       S.REPAIRING),
    _s(2, K.RETURN_REFUND, R.NOT_AS_DESCRIBED, f"{RET} auto_pass", S.REFUNDED),
    _s(2, K.REPAIR, R.QUALITY_PROBLEM,
       f"{RET} fail escalate:disputed_inspection msg_s+ msg_p rule:for_seller", S.CLOSED),
    _s(2, K.REFUND_ONLY, R.MISSING_PARTS, "approve", S.REFUNDED),
    _s(2, K.REPAIR, R.QUALITY_PROBLEM, "approve", S.AWAITING_RETURN),
    _s(2, K.EXCHANGE, R.MISSING_PARTS, RET, S.INSPECTING),
    _s(2, K.RETURN_REFUND, R.WRONG_ITEM, f"{RET} pass", S.REFUNDED),
    _s(2, K.REPAIR, R.DAMAGED_IN_TRANSIT, "", S.SUBMITTED),
    _s(2, K.RETURN_REFUND, R.CHANGED_MIND, "reject msg_b escalate:unfair_rejection", S.DISPUTED,
       recency=(5.5, 7.0)),  # the ruling is overdue
    _s(2, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass ship_repaired msg_s", S.REPAIR_SHIPPED),
    _s(2, K.RETURN_REFUND, R.QUALITY_PROBLEM, "reject resubmit", S.SUBMITTED),
    # 家居生活馆
    _s(3, K.RETURN_REFUND, R.DAMAGED_IN_TRANSIT, f"{RET} pass", S.REFUNDED, buyer=B),
    _s(3, K.REFUND_ONLY, R.DAMAGED_IN_TRANSIT, "propose:partial_keep accept", S.REFUNDED),
    _s(3, K.RETURN_REFUND, R.CHANGED_MIND, "approve timeout", S.CLOSED),
    _s(3, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass ship_repaired confirm", S.REPAIRED),
    _s(3, K.EXCHANGE, R.DAMAGED_IN_TRANSIT,
       "auto_approve ship_return receive ship_replacement confirm", S.EXCHANGED),
    _s(3, K.REFUND_ONLY, R.QUALITY_PROBLEM, "reject", S.REJECTED),
    _s(3, K.RETURN_REFUND, R.QUALITY_PROBLEM, "msg_b+", S.SUBMITTED),
    _s(3, K.REFUND_ONLY, R.NOT_RECEIVED, "reject escalate:unfair_rejection rule:refund",
       S.REFUNDED, item="in_transit"),
    _s(3, K.RETURN_REFUND, R.CHANGED_MIND, "approve ship_return", S.RETURN_SHIPPED,
       recency=(10.1, 10.8)),  # overdue: the deadline sweep refunds it
    _s(3, K.EXCHANGE, R.QUALITY_PROBLEM, f"{RET} ship_replacement", S.REPLACEMENT_SHIPPED),
)
# fmt: on

# Hours between one action and the next, for the people who take them.
HUMAN_GAPS: dict[str, tuple[float, float]] = {
    "approve": (1, 30),
    "reject": (1, 30),
    "propose": (1, 30),
    "accept": (1, 40),
    "decline": (1, 40),
    "resubmit": (2, 40),
    "withdraw": (1, 60),
    "ship_return": (3, 50),
    "receive": (28, 90),
    "pass": (2, 30),
    "fail": (2, 30),
    "ship_replacement": (3, 30),
    "ship_repaired": (50, 190),
    "confirm": (24, 90),
    "escalate": (2, 60),
    "rule": (20, 110),
    "msg_b": (0.2, 6),
    "msg_s": (0.2, 6),
    "msg_p": (1, 20),
}
SYSTEM_STEPS = frozenset(
    {"auto_approve", "timeout", "auto_refund", "auto_pass", "auto_confirm", "escalate_overdue"}
)
# What a ``timeout`` or ``escalate_overdue`` waits for, by the last transition before it.
_WAITS_AFTER = {
    "propose": "buyer_answer_proposal",
    "reject": "buyer_after_rejection",
    "decline": "buyer_after_rejection",
    "fail": "buyer_after_rejection",
    "approve": "buyer_ship_return",
    "auto_approve": "buyer_ship_return",
    "accept": "buyer_ship_return",
    "rule": "buyer_ship_return",
    "ship_return": "seller_confirm_receipt",
    "receive": "seller_inspection",
    "pass": "seller_repair",
}
MONEY_STEPS = frozenset(
    {"approve", "auto_approve", "accept", "receive", "pass", "auto_pass", "auto_refund", "rule"}
)
CARRIERS = (
    (Carrier.ZTO, 5),
    (Carrier.YTO, 4),
    (Carrier.STO, 3),
    (Carrier.YUNDA, 3),
    (Carrier.SF, 4),
    (Carrier.JD, 2),
    (Carrier.EMS, 1),
)


@dataclass
class _Item:
    item: OrderItem
    shop: int
    buyer: str
    product: Product
    used: bool = False

    @property
    def category(self) -> str:
        if self.item.delivered_at:
            return "delivered"
        return "in_transit" if self.item.shipped_at else "not_shipped"


@dataclass
class _Run:
    """One scenario being played: the request and who is who."""

    scenario: Scenario
    info: _Item
    buyer: User
    seller: User
    request: AfterSalesRequest | None = None
    last_at: datetime | None = None


class DemoError(Exception):
    """The demo data could not be built (a scenario found no fitting order item)."""


# --- public entry points -------------------------------------------------------------------


def is_loaded() -> bool:
    return (
        User.objects.filter(username=MAIN_BUYER).exists()
        or Shop.objects.filter(name__in=SHOP_NAMES).exists()
    )


def demo_shops() -> QuerySet[Shop]:
    return Shop.objects.filter(name__in=SHOP_NAMES)


def load(*, now: datetime | None = None) -> list[str]:
    """Build the whole demo marketplace. Call inside a transaction (the command does).

    Returns the demo usernames that already existed and were kept as they were.
    """
    loader = Loader(now=now or timezone.now())
    try:
        loader.load()
    except BaseException:
        # The rows roll back with the transaction; the evidence files already written would not.
        _discard_evidence_files(loader.request_ids)
        raise
    return loader.kept_users


def delete() -> dict[str, int]:
    """Delete the demo data: the demo shops and everything hanging off them, and the demo
    users. Rows that protect them (rulings, disputes, the ledger, request history) go first;
    evidence files are removed from storage once the transaction commits."""
    shops = list(demo_shops())
    requests = AfterSalesRequest.objects.filter(shop__in=shops)
    files = [
        name
        for pair in Evidence.objects.filter(request__in=requests).values_list("file", "thumbnail")
        for name in pair
        if name
    ]
    deleted: Counter[str] = Counter()
    for queryset in (
        Complaint.objects.filter(shop__in=shops),
        Ruling.objects.filter(dispute__request__shop__in=shops),
        Dispute.objects.filter(request__shop__in=shops),
        LedgerEntry.objects.filter(order_item__order__shop__in=shops),
        requests,
        Order.objects.filter(shop__in=shops),
        Shop.objects.filter(pk__in=[shop.pk for shop in shops]),
        User.objects.filter(username__in=DEMO_USERNAMES),
    ):
        deleted.update(_delete(queryset))
    transaction.on_commit(lambda: _delete_files(files))
    return dict(deleted)


def fix_payout_times(since: datetime) -> None:
    """Payouts ran when the load committed; date them a few minutes after their ledger row."""
    LedgerEntry.objects.filter(request__shop__in=demo_shops(), paid_at__gte=since).update(
        paid_at=F("created_at") + timedelta(minutes=3)
    )


def summary() -> dict:
    shops = demo_shops()
    requests = AfterSalesRequest.objects.filter(shop__in=shops)
    by_state = Counter(requests.values_list("state", flat=True))
    ledger = LedgerEntry.objects.filter(request__in=requests)
    return {
        "shops": shops.count(),
        "buyers": User.objects.filter(orders__shop__in=shops).distinct().count(),
        "orders": Order.objects.filter(shop__in=shops).count(),
        "items": OrderItem.objects.filter(order__shop__in=shops).count(),
        "requests": requests.count(),
        "by_state": {state: by_state.get(state, 0) for state in State.values},
        "by_kind": dict(Counter(requests.values_list("kind", flat=True))),
        "disputes": Dispute.objects.filter(request__in=requests).count(),
        "rulings": Ruling.objects.filter(dispute__request__in=requests).count(),
        "ledger": dict(Counter(ledger.values_list("status", flat=True))),
        "evidence": Evidence.objects.filter(request__in=requests).count(),
        "messages": Message.objects.filter(request__in=requests).count(),
    }


# --- deleting ------------------------------------------------------------------------------


def _delete(queryset: QuerySet, depth: int = 0) -> Counter[str]:
    """``queryset.delete()``, first deleting (recursively) whatever protects its rows, so
    that rows added by apps that come later (reviews, complaints) do not block a reset.

    Request events refuse ``instance.delete()`` by design; a queryset delete (and a cascade
    from the request) removes them in bulk, which is what tearing down demo data needs.
    """
    deleted: Counter[str] = Counter()
    try:
        deleted.update(queryset.delete()[1])
        return deleted
    except (ProtectedError, RestrictedError) as exc:
        if depth >= 8:
            raise DemoError(f"Could not delete {queryset.model.__name__} rows.") from exc
        blockers = (
            exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        )
    by_model: dict[type[Model], set] = defaultdict(set)
    for obj in blockers:
        by_model[type(obj)].add(obj.pk)
    for model, pks in by_model.items():
        deleted.update(_delete(model._base_manager.filter(pk__in=pks), depth + 1))
    deleted.update(_delete(queryset, depth + 1))
    return deleted


def _delete_files(names: Sequence[str]) -> None:
    folders = set()
    for name in names:
        default_storage.delete(name)
        folders.add(os.path.dirname(name))
    for folder in folders:  # evidence/<request id>/, now empty, on a file-system storage
        with contextlib.suppress(NotImplementedError, OSError):
            os.rmdir(default_storage.path(folder))


def _discard_evidence_files(request_ids: Sequence[int]) -> None:
    """Remove what a failed load wrote under ``evidence/<request id>/`` (ids it created)."""
    for request_id in request_ids:
        folder = f"evidence/{request_id}"
        try:
            _, names = default_storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError):
            continue
        _delete_files([f"{folder}/{name}" for name in names])


# --- loading -------------------------------------------------------------------------------


class Loader:
    def __init__(self, *, now: datetime) -> None:
        self.now = now
        self.rng = random.Random(SEED)
        self.users: dict[str, User] = {}
        self.shops: list[Shop] = []
        self.sellers: list[User] = []
        self.items: list[_Item] = []
        self.request_ids: list[int] = []
        self.kept_users: list[str] = []
        self.password = ""
        self.photo_count = 0

    def load(self) -> None:
        self._people()
        self._shops()
        self._orders()
        for scenario in SCENARIOS:
            self._play(scenario)
        self._reviews()

    def _reviews(self) -> None:
        """Most buyers rate a finished request within days; shops answer about half of them."""
        from reviews.services import reply_to_review, review_closes_at, review_request

        finished = (
            AfterSalesRequest.objects.filter(pk__in=self.request_ids, finished_at__isnull=False)
            .select_related("buyer", "shop")
            .order_by("pk")
        )
        for request in finished:
            if review_closes_at(request) is None or self.rng.random() < 0.25:
                continue
            when = request.finished_at + timedelta(hours=self.rng.uniform(2, 96))
            if when >= self.now:
                continue
            happy = request.state != "closed" and self.rng.random() < 0.8
            stars = self.rng.choice([4, 5, 5]) if happy else self.rng.choice([1, 2, 3])
            speed, result = stars, stars
            attitude = max(1, stars - self.rng.choice([0, 0, 1]))
            review = review_request(
                request=request,
                actor=request.buyer,
                speed=speed,
                attitude=attitude,
                result=result,
                comment=self.rng.choice(REVIEW_COMMENTS_GOOD if happy else REVIEW_COMMENTS_BAD),
                now=when,
            )
            if self.rng.random() < 0.5:
                replied = when + timedelta(hours=self.rng.uniform(1, 30))
                if replied < self.now:
                    member = request.shop.members.first().user
                    reply_to_review(
                        review=review,
                        actor=member,
                        reply=self.rng.choice(REVIEW_REPLIES),
                        now=replied,
                    )

    # --- people and shops ----------------------------------------------------------------

    def _user(self, username, family, given, **extra) -> User:
        joined = self.now - timedelta(days=self.rng.uniform(90, 900))
        existing = User.objects.filter(username=username).first()
        if existing is not None:  # e.g. an ``admin`` made with createsuperuser: keep it as is
            self.kept_users.append(username)
            self.users[username] = existing
            return existing
        user = User.objects.create(
            username=username,
            email=f"{username}@example.com",
            first_name=given,
            last_name=family,
            password=self.password,
            date_joined=joined,
            **extra,
        )
        self.users[username] = user
        return user

    def _people(self) -> None:
        self.password = make_password(PASSWORD)  # hashed once: every demo user has the same one
        for username, family, given in BUYERS:
            self._user(username, family, given)
        staff = self._user(*STAFF, is_staff=True)
        group, _ = Group.objects.get_or_create(name=ARBITRATORS_GROUP)
        if not group.permissions.exists():
            # Without model permissions a staff user sees an empty admin.
            group.permissions.set(
                Permission.objects.filter(
                    content_type__app_label__in=["orders", "aftersales", "disputes"],
                    codename__startswith="view_",
                )
            )
        staff.groups.add(group)
        self._user(*ADMIN, is_staff=True, is_superuser=True)

    def _shops(self) -> None:
        for spec in SHOPS:
            shop = Shop.objects.create(name=spec.name, **spec.policy)
            recipient, phone, address = spec.address
            ReturnAddress.objects.create(
                shop=shop, recipient=recipient, phone=phone, address=address, is_default=True
            )
            if spec.warehouse:
                recipient, phone, address = spec.warehouse
                ReturnAddress.objects.create(
                    shop=shop, recipient=recipient, phone=phone, address=address
                )
            owner = self._user(*spec.owner)
            ShopMember.objects.create(shop=shop, user=owner, role=ShopMember.Role.OWNER)
            self.shops.append(shop)
            self.sellers.append(owner)

    # --- orders --------------------------------------------------------------------------

    def _orders(self) -> None:
        rng, now = self.rng, self.now
        addresses = {}
        for username, family, given in BUYERS:
            phone = f"1{rng.randrange(30, 99)}{rng.randrange(10**8):08d}"
            flat = f"{rng.randint(1, 30)} 栋 {rng.randint(1, 28)}{rng.randint(1, 4):02d} 室"
            addresses[username] = f"{family}{given} {phone} {rng.choice(CITIES)} {flat}"
        # The main buyer's orders are placed on purpose: in every shop, old and recent, one
        # paid a few hours ago (not shipped yet).
        plan: list[tuple[str, int, float]] = [
            (B, shop, age + (rng.uniform(-0.3, 0.3) if age > 1 else 0))
            for shop, ages in enumerate(
                (
                    (0.2, 1.5, 3, 4.5, 6.5, 8, 9.5, 11, 12.5, 14, 17, 20, 24, 28, 33, 39, 46, 53),
                    (2.5, 6, 9, 11, 13, 18, 25, 31, 44),
                    (4, 7.5, 11, 16, 22, 30, 41, 55),
                    (5.5, 10, 15, 27, 49),
                )
            )
            for age in ages
        ]
        others = [b[0] for b in BUYERS if b[0] != B]
        weights = [spec.weight for spec in SHOPS]
        picks = others * 5 + [
            rng.choice(others) for _ in range(ORDER_COUNT - len(plan) - 5 * len(others))
        ]
        for username in picks:
            shop = rng.choices(range(len(SHOPS)), weights)[0]
            plan.append((username, shop, rng.uniform(0.02, ORDER_DAYS - 0.3)))
        plan.sort(key=lambda row: -row[2])  # oldest first, so numbers and pks follow time

        orders, lines = [], []
        numbers: set[str] = set()
        for username, shop_index, age in plan:
            paid_at = now - timedelta(days=age)
            number = f"{timezone.localtime(paid_at):%y%m%d}{rng.randrange(10**12, 10**13)}"
            while number in numbers:
                number = f"{number[:6]}{rng.randrange(10**12, 10**13)}"
            numbers.add(number)
            order = Order(
                number=number,
                buyer=self.users[username],
                shop=self.shops[shop_index],
                payment_method=rng.choices(
                    [m for m, _ in Order.PaymentMethod.choices], [11, 4, 2, 3]
                )[0],
                shipping_address=addresses[username],
                paid_at=paid_at,
            )
            orders.append(order)
            products = SHOPS[shop_index].products
            count = min(rng.choices([1, 2, 3], [60, 28, 12])[0], len(products))
            # Shops ship from 8 hours after payment; items of one order may ship apart (拆单).
            ship_after = timedelta(hours=rng.uniform(8, 48))
            for product in rng.sample(products, count):
                lines.append((order, shop_index, username, product, ship_after))
        Order.objects.bulk_create(orders)

        items = []
        for order, shop_index, username, product, ship_after in lines:
            sku, price = self.rng.choice(product.variants)
            item = self._item(order, product.title, sku, D(price), ship_after)
            items.append(item)
            self.items.append(_Item(item, shop_index, username, product))
        self._lose_parcels()
        OrderItem.objects.bulk_create(items)

    def _item(self, order, title, sku, unit_price, ship_after) -> OrderItem:
        rng, now = self.rng, self.now
        quantity = rng.choices([1, 2, 3], [72, 21, 7])[0]
        subtotal = unit_price * quantity
        roll = rng.random()
        if roll < 0.55:
            paid = subtotal
        elif roll < 0.8:  # a shop coupon: ¥5–30 off, never below half the price
            paid = subtotal - min(D(rng.choice([5, 10, 15, 20, 30])), subtotal / 2)
        else:  # a platform discount: 88–95 %
            paid = subtotal * D(rng.choice(["0.88", "0.9", "0.95"]))
        paid = paid.quantize(CENT, rounding=ROUND_DOWN)
        shipped_at = delivered_at = None
        if rng.random() < 0.25:
            ship_after += timedelta(hours=rng.uniform(2, 30))
        if order.paid_at + ship_after < now - timedelta(minutes=10):
            shipped_at = order.paid_at + ship_after
            transit = timedelta(hours=rng.uniform(20, 96))
            if shipped_at + transit < now:
                delivered_at = shipped_at + transit
        return OrderItem(
            order=order,
            title=title,
            sku=sku,
            unit_price=unit_price,
            quantity=quantity,
            amount_paid=paid,
            shipped_at=shipped_at,
            delivered_at=delivered_at,
        )

    def _lose_parcels(self) -> None:
        """A few parcels stuck in transit for a week or more: room for 未收到货 requests."""
        for shop_index in range(len(SHOPS)):
            old = [
                info
                for info in self.items
                if info.shop == shop_index
                and info.buyer != B
                and info.item.delivered_at
                and timedelta(days=10) < self.now - info.item.shipped_at < timedelta(days=40)
            ]
            for info in self.rng.sample(old, min(3, len(old))):
                info.item.delivered_at = None

    # --- one request, start to finish ---------------------------------------------------

    def _play(self, scenario: Scenario) -> None:
        offsets = self._plan(scenario)
        info, filed_at = self._pick(scenario, offsets)
        info.used = True
        run = _Run(
            scenario=scenario,
            info=info,
            buyer=self.users[info.buyer],
            seller=self.sellers[scenario.shop],
        )
        self._submit(run, filed_at)
        for step, offset in zip(scenario.steps, offsets, strict=True):
            when = filed_at + offset
            name, _, arg = step.partition(":")
            if name in SYSTEM_STEPS and when < run.request.due_at:
                raise DemoError(f"{scenario}: {step} planned before the deadline")
            name = name.rstrip("+")
            getattr(self, f"_{name}")(run, arg, when, photo=step.endswith("+"))
            self._date_rows(run, name, when)
        request = run.request
        request.refresh_from_db()
        if request.state != scenario.until:
            raise DemoError(f"{scenario} ended in {request.state}")
        AfterSalesRequest.objects.filter(pk=request.pk).update(
            created_at=filed_at, updated_at=run.last_at
        )

    def _plan(self, scenario: Scenario) -> list[timedelta]:
        """When each step happens, counted from filing: people take a while, the system acts
        a little after the deadline it enforces."""
        limits = settings.AFTERSALES_DEADLINES
        offsets, at, last_transition = [], timedelta(0), "submit"
        transition_at = at
        for step in scenario.steps:
            name = step.partition(":")[0].rstrip("+")
            if name in SYSTEM_STEPS:
                if name == "auto_approve":
                    wait = limits["seller_response"]
                    if scenario.kind == Kind.REFUND_ONLY:
                        wait = limits[
                            "seller_response_not_shipped"
                            if scenario.item == "not_shipped"
                            else "seller_response_shipped"
                        ]
                elif name == "auto_refund":
                    wait = limits["seller_confirm_receipt"]
                elif name == "auto_pass":
                    wait = limits["seller_inspection"]
                elif name == "auto_confirm":
                    wait = limits["buyer_confirm_receipt"]
                else:  # timeout, escalate_overdue
                    wait = limits[_WAITS_AFTER[last_transition]]
                at = max(at, transition_at + wait) + timedelta(minutes=self.rng.uniform(2, 50))
            else:
                low, high = HUMAN_GAPS[name]
                at += timedelta(hours=self.rng.uniform(low, high))
            offsets.append(at)
            if not name.startswith("msg"):
                last_transition, transition_at = name, at
        return offsets

    def _pick(self, scenario: Scenario, offsets: list[timedelta]) -> tuple[_Item, datetime]:
        """An unused item of the right shop, buyer and shipping state, and a filing time that
        keeps every eligibility check inside the item's window and ends ``recency`` ago."""
        rng, now = self.rng, self.now
        duration = offsets[-1] if offsets else timedelta(0)
        # Resubmitting re-checks the window, so the last resubmission must also be inside it.
        checks = [o for s, o in zip(scenario.steps, offsets, strict=True) if s == "resubmit"]
        last_check = max(checks, default=timedelta(0))
        recency = scenario.recency or (
            (0.04, 2.0)
            if scenario.until not in (S.REFUNDED, S.EXCHANGED, S.REPAIRED, S.CLOSED)
            else (0.3, 30)
        )
        low_r, high_r = (timedelta(days=d) for d in recency)
        candidates = [
            info
            for info in self.items
            if not info.used
            and info.shop == scenario.shop
            and (info.buyer == scenario.buyer if scenario.buyer else info.buyer != B)
            and info.category == scenario.item
            and (scenario.kind != Kind.REPAIR or info.product.repairable)
        ]
        rng.shuffle(candidates)
        for info in candidates:
            item = info.item
            if scenario.item == "delivered":
                days = policy.window_days(item, scenario.kind, scenario.reason)
                earliest = item.delivered_at + timedelta(days=8 if scenario.late else 0.25)
                latest = item.delivered_at + timedelta(days=days - 0.1) - last_check
            elif scenario.item == "in_transit":
                wait = 3 if scenario.reason == Reason.NOT_RECEIVED else 0.1
                earliest, latest = item.shipped_at + timedelta(days=wait), now
            else:
                earliest, latest = item.order.paid_at + timedelta(minutes=15), now
            # filed_at = now - recency - duration must fall in [earliest, latest].
            low = max(low_r, now - duration - latest)
            high = min(high_r, now - duration - earliest)
            if low <= high:
                recency_chosen = low + (high - low) * rng.random()
                return info, now - recency_chosen - duration
        raise DemoError(f"No order item fits {scenario}")

    # --- the steps -----------------------------------------------------------------------

    def _submit(self, run: _Run, when: datetime) -> None:
        scenario, info, rng = run.scenario, run.info, self.rng
        item, product = info.item, info.product
        quantity = item.quantity if rng.random() < 0.75 else rng.randint(1, item.quantity)
        refund = D("0.00")
        if Kind(scenario.kind).is_money:
            refund = policy.max_refund(item, quantity=quantity, quantity_left=item.quantity)
            minor = (Reason.QUALITY_PROBLEM, Reason.NOT_AS_DESCRIBED, Reason.MISSING_PARTS)
            if (
                scenario.kind == Kind.REFUND_ONLY
                and scenario.reason in minor
                and rng.random() < 0.5
            ):
                refund = max(D(int(refund * D(rng.uniform(0.3, 0.6)))), D(1)).quantize(CENT)
        if scenario.item == "not_shipped":
            description = rng.choice(DESCRIPTIONS_NOT_SHIPPED)
        elif scenario.item == "in_transit" and scenario.reason != Reason.NOT_RECEIVED:
            description = rng.choice(DESCRIPTIONS_IN_TRANSIT)
        else:
            description = rng.choice(DESCRIPTIONS[scenario.reason]).format(
                title=item.title,
                sku=item.sku,
                fault=rng.choice(product.faults or ("用了几天就坏了",)),
                part=rng.choice(product.parts),
            )
        files = []
        with_photos = 0.1 if Reason(scenario.reason).is_no_reason else 0.75
        if scenario.item == "delivered" and rng.random() < with_photos:
            files = self._photos(scenario.reason, when, count=rng.choice([1, 1, 2, 3]))
        run.request = services.submit_request(
            buyer=run.buyer,
            order_item=item,
            kind=scenario.kind,
            reason=scenario.reason,
            quantity=quantity,
            refund_amount=refund,
            description=description,
            files=files,
            now=when,
        )
        run.last_at = when
        self.request_ids.append(run.request.pk)
        self._date_rows(run, "submit", when)

    def _approve(self, run, arg, when, photo) -> None:
        run.request = services.approve_request(request=run.request, actor=run.seller, now=when)

    def _auto_approve(self, run, arg, when, photo) -> None:
        run.request = services.approve_request(request=run.request, actor=SYSTEM, now=when)

    def _reject(self, run, arg, when, photo) -> None:
        reason = run.scenario.reason
        if Reason(reason).is_no_reason:
            texts = REJECTIONS_NO_REASON
        elif reason == Reason.NOT_RECEIVED:
            texts = REJECTIONS_NOT_RECEIVED
        else:
            texts = REJECTIONS
        files = self._photos("qc", when, seller=True) if self.rng.random() < 0.5 else []
        run.request = services.reject_request(
            request=run.request,
            actor=run.seller,
            reason=RejectionReason.NO_EVIDENCE
            if texts is not REJECTIONS_NO_REASON
            else RejectionReason.OUTSIDE_POLICY,
            explanation=self.rng.choice(texts),
            files=files,
            now=when,
        )

    def _propose(self, run, arg, when, photo) -> None:
        item = run.info.item
        refundable = item.refundable_amount
        kind, refund, comp = Kind.REFUND_ONLY, D("0.00"), D("0.00")
        if arg == "partial_keep":
            refund = max(D(int(refundable * D(self.rng.uniform(0.2, 0.5)))), D(1)).quantize(CENT)
        elif arg == "comp":
            comp = min(D(self.rng.choice([5, 10, 15, 20, 30])), item.amount_paid).quantize(CENT)
        elif arg == "partial_return":
            kind = Kind.RETURN_REFUND
            refund = (refundable * D(self.rng.uniform(0.7, 0.9))).quantize(CENT, ROUND_DOWN)
        elif arg == "exchange":
            kind = Kind.EXCHANGE
        elif arg == "repair":
            kind = Kind.REPAIR
        note = PROPOSAL_NOTES[arg].format(refund=refund, comp=comp)
        run.request = services.propose_solution(
            request=run.request,
            actor=run.seller,
            kind=kind,
            refund_amount=refund,
            compensation_amount=comp,
            note=note,
            now=when,
        )

    def _accept(self, run, arg, when, photo) -> None:
        run.request = services.accept_proposal(request=run.request, actor=run.buyer, now=when)

    def _decline(self, run, arg, when, photo) -> None:
        run.request = services.decline_proposal(
            request=run.request, actor=run.buyer, note=self.rng.choice(DECLINES), now=when
        )

    def _resubmit(self, run, arg, when, photo) -> None:
        request = run.request
        refund = request.refund_amount
        if Kind(request.kind).is_money:
            refund = max((refund * D("0.8")).quantize(CENT, ROUND_DOWN), D("1.00"))
        run.request = services.resubmit_request(
            request=request,
            actor=run.buyer,
            kind=request.kind,
            reason=request.reason,
            quantity=request.quantity,
            refund_amount=refund,
            description=f"{request.description}\n补充：又拍了几张细节照片，金额也重新调整了。",
            files=self._photos(request.reason, when, count=2),
            now=when,
        )

    def _withdraw(self, run, arg, when, photo) -> None:
        run.request = services.withdraw_request(request=run.request, actor=run.buyer, now=when)

    def _timeout(self, run, arg, when, photo) -> None:
        run.request = services.close_for_timeout(request=run.request, actor=SYSTEM, now=when)

    def _ship_return(self, run, arg, when, photo) -> None:
        fee = D("0.00")
        if run.request.seller_pays_return_shipping and self.rng.random() < 0.75:
            fee = D(self.rng.choice(["8.00", "10.00", "12.00", "15.00", "18.00"]))
        run.request = services.ship_return(
            request=run.request, actor=run.buyer, **self._tracking(), shipping_fee=fee, now=when
        )

    def _receive(self, run, arg, when, photo) -> None:
        run.request = services.confirm_return_received(
            request=run.request, actor=run.seller, now=when
        )

    def _auto_refund(self, run, arg, when, photo) -> None:
        run.request = services.refund_without_receipt(request=run.request, actor=SYSTEM, now=when)

    def _pass(self, run, arg, when, photo) -> None:
        run.request = services.pass_inspection(request=run.request, actor=run.seller, now=when)

    def _auto_pass(self, run, arg, when, photo) -> None:
        run.request = services.pass_inspection(request=run.request, actor=SYSTEM, now=when)

    def _fail(self, run, arg, when, photo) -> None:
        texts = FAILED_INSPECTIONS_DEVICES if run.info.product.repairable else FAILED_INSPECTIONS
        run.request = services.fail_inspection(
            request=run.request,
            actor=run.seller,
            reason=RejectionReason.USED,
            explanation=self.rng.choice(texts),
            files=self._photos("qc_fail", when, count=self.rng.choice([1, 2]), seller=True),
            now=when,
        )

    def _ship_replacement(self, run, arg, when, photo) -> None:
        run.request = services.ship_replacement(
            request=run.request, actor=run.seller, **self._tracking(), now=when
        )

    def _ship_repaired(self, run, arg, when, photo) -> None:
        run.request = services.ship_repaired(
            request=run.request, actor=run.seller, **self._tracking(express=True), now=when
        )

    def _confirm(self, run, arg, when, photo) -> None:
        run.request = services.confirm_delivery(request=run.request, actor=run.buyer, now=when)

    def _auto_confirm(self, run, arg, when, photo) -> None:
        run.request = services.confirm_delivery(request=run.request, actor=SYSTEM, now=when)

    def _escalate(self, run, arg, when, photo) -> None:
        reason = Dispute.Reason(arg)
        files = []
        if self.rng.random() < 0.7:
            files = self._photos(run.scenario.reason, when, count=self.rng.choice([1, 2]))
        services.escalate_to_platform(
            request=run.request,
            actor=run.buyer,
            reason=reason,
            statement=self.rng.choice(STATEMENTS[reason]),
            files=files,
            now=when,
        )
        run.request.refresh_from_db()

    def _escalate_overdue(self, run, arg, when, photo) -> None:
        run.request = services.escalate_overdue(request=run.request, actor=SYSTEM, now=when)

    def _rule(self, run, arg, when, photo) -> None:
        outcome = Ruling.Outcome(arg)
        item = OrderItem.objects.get(pk=run.info.item.pk)
        refund, comp = D("0.00"), D("0.00")
        if outcome == Ruling.Outcome.REFUND:
            share = D(self.rng.choice(["0.5", "0.8", "1"]))
            refund = max((item.refundable_amount * share).quantize(CENT, ROUND_DOWN), D("1.00"))
        elif outcome == Ruling.Outcome.RETURN_AND_REFUND:
            refund = item.refundable_amount
        elif outcome == Ruling.Outcome.COMPENSATION:
            comp = min(D(self.rng.choice([20, 30, 50])), item.amount_paid).quantize(CENT)
        dispute = Dispute.objects.get(request=run.request, status=Dispute.Status.OPEN)
        services.rule_dispute(
            dispute=dispute,
            actor=self.users[STAFF[0]],
            outcome=outcome,
            rationale=RATIONALES[outcome].format(refund=refund, comp=comp),
            refund_amount=refund,
            compensation_amount=comp,
            now=when,
        )
        run.request.refresh_from_db()

    def _msg_b(self, run, arg, when, photo) -> None:
        self._message(run, "b", when, photo)

    def _msg_s(self, run, arg, when, photo) -> None:
        self._message(run, "s", when, photo)

    def _msg_p(self, run, arg, when, photo) -> None:
        self._message(run, "p", when, photo)

    def _message(self, run: _Run, role: str, when: datetime, photo: bool) -> None:
        request = run.request
        state = request.state
        body = self.rng.choice(MESSAGES.get((role, state)) or MESSAGES[(role, None)])
        author = {"b": run.buyer, "s": run.seller, "p": self.users[STAFF[0]]}[role]
        files = []
        if photo:
            label = run.scenario.reason if role == "b" else "packing"
            files = self._photos(label, when, seller=role != "b")
        services.post_message(request=request, actor=author, body=body, files=files, now=when)
        if role == "s" and state == State.DISPUTED:
            # The seller's side of the story; disputes have no service for it yet.
            Dispute.objects.filter(
                request=request, status=Dispute.Status.OPEN, seller_statement=""
            ).update(seller_statement=body)

    # --- helpers -------------------------------------------------------------------------

    def _date_rows(self, run: _Run, step: str, when: datetime) -> None:
        """Ledger rows are dated by the wall clock (``auto_now_add``): give them the step's time.

        Events, evidence, messages, shipments and proposals take the ``now=`` the services get.
        """
        if step.startswith("msg"):
            return
        run.last_at = when
        if step in MONEY_STEPS:
            LedgerEntry.objects.filter(request=run.request, created_at__gte=self.now).update(
                created_at=when
            )

    def _tracking(self, *, express: bool = False) -> dict[str, str]:
        rng = self.rng
        carrier = Carrier.SF if express else rng.choices(*zip(*CARRIERS, strict=True))[0]
        digits = lambda n: "".join(str(rng.randrange(10)) for _ in range(n))  # noqa: E731
        number = {
            Carrier.SF: lambda: f"SF{digits(13)}",
            Carrier.JD: lambda: f"JDV{rng.choice('ABCDEF')}{digits(11)}",
            Carrier.EMS: lambda: f"E{rng.choice('ABCDMR')}{digits(9)}CN",
            Carrier.ZTO: lambda: f"7{rng.choice('35')}{digits(12)}",
            Carrier.YTO: lambda: f"YT{digits(13)}",
            Carrier.STO: lambda: f"77{digits(11)}",
            Carrier.YUNDA: lambda: f"{rng.choice(['31', '43', '46'])}{digits(11)}",
        }[carrier]()
        assert tracking_error(carrier, number) is None, (carrier, number)
        return {"carrier": carrier, "tracking_number": number}

    def _photos(
        self, label: str, when: datetime, *, count: int = 1, seller: bool = False
    ) -> list[PreparedFile]:
        return [self._photo(label, when, seller=seller) for _ in range(count)]

    def _photo(self, label: str, when: datetime, *, seller: bool) -> PreparedFile:
        """A phone-camera-like JPEG: a parcel on a table, a crack circled in red, a label."""
        rng = self.rng
        self.photo_count += 1
        width, height = 800, 600
        background = tuple(rng.randint(175, 235) for _ in range(3))
        image = Image.new("RGB", (width, height), background)
        draw = ImageDraw.Draw(image)
        draw.rectangle(
            [0, int(height * 0.74), width, height], fill=tuple(c - 45 for c in background)
        )
        x0, y0 = rng.randint(110, 220), rng.randint(110, 170)
        x1, y1 = width - rng.randint(110, 220), int(height * 0.82)
        cardboard = (rng.randint(165, 205), rng.randint(120, 150), rng.randint(70, 100))
        draw.rectangle([x0, y0, x1, y1], fill=cardboard, outline=(70, 50, 30), width=6)
        tape_y = y0 + (y1 - y0) // 3
        draw.rectangle([x0, tape_y - 12, x1, tape_y + 12], fill=(205, 185, 140))
        points = [(rng.randint(x0 + 60, x1 - 60), y0 + 8)]
        for _ in range(5):
            x, y = points[-1]
            points.append((x + rng.randint(-45, 45), min(y + rng.randint(25, 60), y1 - 8)))
        draw.line(points, fill=(45, 30, 20), width=5)
        cx, cy = points[2]
        radius = rng.randint(45, 75)
        draw.ellipse(
            [cx - radius, cy - radius, cx + radius, cy + radius], outline=(220, 30, 30), width=6
        )
        font, small, chinese = _fonts()
        chinese_label, english_label = LABELS[label]
        draw.text(
            (28, 22), chinese_label if chinese else english_label, fill=(200, 20, 20), font=font
        )
        stamp = timezone.localtime(when)
        draw.text((28, height - 44), f"{stamp:%Y-%m-%d %H:%M}", fill=(255, 255, 255), font=small)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=88)
        name = (
            f"质检照片_{self.photo_count:03d}.jpg" if seller else f"IMG_{stamp:%Y%m%d_%H%M%S}.jpg"
        )
        return prepare_photo(SimpleUploadedFile(name, buffer.getvalue(), "image/jpeg"))
